"""hbal's balancing (`Cluster.hs: tryBalance`, man/hbal.rst): greedy instance moves that lower
the cluster score of one node group, grouped into job sets. Pure, no I/O."""
