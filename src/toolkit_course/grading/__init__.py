"""Facilitator workflow over nbgrader: roster, collect, autograde, feedback, export, report, certify.

The command groups register themselves with `toolkit-course`:
  workflow_cli  - roster, collect, autograde (parallel, resumable, sandboxed)
  results_cli   - feedback pages and grade export
  report_cli    - the cohort report
  certificates_cli - keygen, certify, verify
"""
