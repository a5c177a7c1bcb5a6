"""The scoring and reward rules of POLICY.md §5 and §6 as a pure engine.

Plain dataclasses in, plain results out: no Django, no clock, no I/O (import-linter's pure-engine
contract holds the whole package). The policy figures arrive as data (built from the DB policy
version by ``appraisals.selectors.engine_policy``), the period arrives as a ``PeriodSpec`` and each
employee's metrics arrive pre-aggregated by a selector.

- ``base``: the Decimal context, rounding and the engine's constants;
- ``policy``: the policy as engine types (KPIs, bands, reward rules with their tiers);
- ``inputs``: the period and each employee's figures, as the selectors hand them over;
- ``results``: scorecards, KPI results (with the reason a KPI is missing) and rewards;
- ``kpis``: the KPI maths, unit sums and one employee's scorecard;
- ``rewards``: commission and the other reward rules;
- ``org``: the one scoring loop, a tree level at a time or a whole org.

A period is scored bottom-up through the org tree (S4 needs the team's composites).
``score_employees`` is the one scoring loop: it scores employees whose teams are already
scored. A close runs it chunk by chunk, one tree level after another, reading the team's
composites back from the database; ``score_period`` runs it level by level in memory for a
whole org (the policy preview, a dry run, the tests). Missing KPIs carry a ``MissingReason``
code with its parameters, never a sentence: the pages word it in the reader's language.
"""
