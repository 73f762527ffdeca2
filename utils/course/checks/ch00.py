"""Automatic checks for chapter 00, the duality primer."""

from ...primer.partition import partition_bounds, partition_problem_instance
from . import register


def _answer_00_2():
    """Duality gap p* - d* of the partitioning instance with n = 10 items and seed 2."""
    return partition_bounds(partition_problem_instance(10, seed=2)).gap


register(
    "00.2",
    _answer_00_2,
    rtol=1e-5,
    atol=1e-6,
    kind="value",
    unit="a difference of two optimal values of the partitioning problem, p* - d* (on the scale of x^T W x)",
    hint="p* is the exact optimum (ten items are few enough to try every partition) and d* the value of the "
         "Lagrange dual; take both for the same instance W",
)
