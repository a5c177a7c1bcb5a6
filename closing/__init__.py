"""The period close (POLICY.md §3, §5, §6), in the files of its steps:

- ``rules``: what may close now and why not, what is due, the first month of the history;
- ``line``: requests, the waiting line, starting the next close, taking over a dead one, cancel, wait;
- ``attempt``: one attempt of a close: plan, chunk, finalize, fail (its partial results discarded);
- ``reopen``: reopening with a reason, and what reopens with it;
- ``lock``: the line's lock and the lease of a running close; ``exceptions``: what the steps raise.

Beside them: the pre-close checklist and dry run (``checklist``), the ratings reminder
(``reminders``), the thin Celery tasks (``tasks``) and every periodic task (``schedule``). No step
imports a task module: the caller enqueues.
"""
