"""The service's program: what runs the engine for a request, between the API and the engine.

`answer` (one decision: bytes in, response bytes and what the history records out), `jobs` (one
typed job per kind of engine work, run in an engine process), `pool` (the engine processes and
the per-cluster limit), `runner` (a job for a request: timeout, failures as `errors`), `params`
(the cluster's default parameters merged with Ganeti's), `upload` (the received document).
Nothing is imported here: the CLI loads `answer` alone, without the pool's machinery.
"""
