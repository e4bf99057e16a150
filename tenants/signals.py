"""Events of a municipality's life in the installation, for the domain apps to plug into.

``municipality_provisioned(municipality, admin, by)`` is sent inside the provisioning transaction
and inside the new municipality's schema (``schema_context``): receivers create what a new
municipality starts with (its first board administrator from ``admin``, a
``tenants.provisioning.Administrator``; national tables …). ``by`` is the operator's name
(``PlatformEvent.actor``). A receiver that raises ``ValidationError`` undoes the whole
provisioning, schema included; its messages are keyed by the fields of
``tenants.provisioning.NewMunicipality`` (``admin_password`` …) so that the form shows them.
"""

from django.dispatch import Signal

municipality_provisioned = Signal()
