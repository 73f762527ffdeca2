"""The duality primer: the partition problem, its Lagrange dual, the eigenvalue bound and the SDP relaxation."""
