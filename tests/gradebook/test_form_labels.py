"""Forms show Japanese labels only: hidden fields (the version a save started from) have none."""

from __future__ import annotations

import re

from django.urls import reverse


def test_override_page_has_no_version_field_label(setup, client_for, muni):
    client = client_for(muni, setup.teacher.user)
    url = reverse(
        "gradebook:override",
        args=[setup.classroom.pk, setup.subject.pk, setup.term.pk, setup.students[0].pk],
    )
    html = client.get(url).content.decode()
    assert "Version" not in html
    assert re.search(r'<input type="hidden" name="version"', html)
    labels = re.findall(r"<label[^>]*>(.*?)</label>", html, re.S)
    assert labels and not any("version" in label.lower() for label in labels)
