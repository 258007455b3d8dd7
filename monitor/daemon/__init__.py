"""The daemon behind `monitor run`: the scheduler and its loop (run.py), what each job does (jobs.py), and what
`monitor run --status` shows (status.py). Scheduling decisions themselves are pure, in monitor.schedule."""
