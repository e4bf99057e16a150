"""The record of one job: what it is, who started it, where it runs, how far it got, its result."""

from __future__ import annotations

from django.db import models


class Job(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "待機中"
        RUNNING = "running", "実行中"
        SUCCEEDED = "succeeded", "完了"
        FAILED = "failed", "失敗"
        CANCELLED = "cancelled", "取消"

    FINISHED = (State.SUCCEEDED, State.FAILED, State.CANCELLED)

    kind = models.CharField(max_length=100)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    # The schema it runs in, recorded at enqueue (a row of a municipality lives in its schema;
    # the copy here is what the worker is told and what a log line shows).
    schema_name = models.CharField(max_length=63)
    # No foreign key: accounts live per schema and may be deleted; the name stays readable.
    requested_by_id = models.BigIntegerField(null=True, blank=True)
    requested_by_name = models.CharField(max_length=200, blank=True)
    params = models.JSONField(default=dict, blank=True)

    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    progress_message = models.CharField(max_length=200, blank=True)

    result_data = models.JSONField(null=True, blank=True)
    # A file result is kept in the database: part of the municipality's backup, and any app
    # server (or a later one) can hand it out.
    result_file = models.BinaryField(null=True, blank=True)
    result_filename = models.CharField(max_length=200, blank=True)
    result_content_type = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)

    procrastinate_id = models.BigIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requested_by_id", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in self.FINISHED

    @property
    def has_file(self) -> bool:
        return self.state == self.State.SUCCEEDED and bool(self.result_filename)

    @property
    def percent(self) -> int | None:
        """0-100, or None while the total is unknown (an indeterminate bar)."""
        if self.state == self.State.SUCCEEDED:
            return 100
        if not self.progress_total:
            return None
        return min(100, self.progress_done * 100 // self.progress_total)
