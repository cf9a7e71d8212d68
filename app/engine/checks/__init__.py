"""What rules a placement out: failure modes, the instance policy and global N+1 redundancy."""
