"""ReLU networks: hyperplane arrangements, the exact two-layer convex program (``two_layer``) and trainers
(``two_layer_training``), three-layer networks on rank-one data (``rank_one``), the parallel three-layer program
(``parallel_three_layer``), deep trainers (``deep_training``) and column generation (``column_generation``)."""
