"""Benchmarks of iallocd against Ganeti's hail: `python -m bench.run [--quick]` (`make bench`).

Generated clusters (tests.support.gen), each request run by hail and by iallocd side by side,
then a load run of one service; Markdown tables on stdout and in bench/results/.
"""
