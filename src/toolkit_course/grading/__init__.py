"""Facilitator workflow over nbgrader: roster, collect, autograde, feedback, export, report, certify.

Two command groups register themselves with `toolkit-course`:
  workflow_cli  - roster, collect, autograde (parallel, resumable, sandboxed)
  results_cli   - feedback pages, grade export, cohort report, certificates and verification
"""
