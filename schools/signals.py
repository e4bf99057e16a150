"""Events of the school-year lifecycle that other apps plug into (the calendar, the timetable).

Each is sent inside the transaction of the service that caused it, after its change and its
audit record, so a receiver that fails undoes the whole action. Receivers take ``**kwargs``.

- ``school_created(school, by)``: a school was registered.
- ``school_year_opened(school_year, by)``: 年度の開設 (current or preparing).
- ``rollover_prepared(rollover, by, assignments)``: a school's 年度更新 was prepared into the
  preparing year; ``assignments`` maps each teaching assignment that followed its class or
  group to its draft (pk → pk), for rules attached to assignments (2時間続き).
- ``rollover_cancelled(rollover, by)``: it was undone (sent before the rows are removed).
- ``rollover_confirmed(rollover, by)``: it was confirmed.
- ``school_year_switched(school_year, previous, by)``: 年度切替: ``school_year`` became
  current and ``previous`` (or None) was archived.
- ``staff_accounts_created(users, by)``: logins were created with a password someone else
  chose (教職員アカウントの作成, the staff import); ``accounts`` asks for a new password at
  their first login unless ``by`` is the system (provisioning's first administrator).
"""

from django.dispatch import Signal

school_created = Signal()
school_year_opened = Signal()
rollover_prepared = Signal()
rollover_cancelled = Signal()
rollover_confirmed = Signal()
school_year_switched = Signal()
staff_accounts_created = Signal()
