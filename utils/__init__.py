"""Helper package of the book *Convex duality for deep neural networks*.

Closed-form primal and dual values, the convex programs, reference trainers for the non-convex
networks, and widget-driven plots. Every public name is importable from ``utils`` directly; each
submodule covers one topic and lists its public names in ``__all__``.
"""

__version__ = "0.1.0"

from . import _validation, checks  # noqa: F401
from ._validation import *  # noqa: F401,F403
from .book_toc import *  # noqa: F401,F403
from .checks import check_exercise  # noqa: F401,E402
from .column_generation import *  # noqa: F401,F403
from .deep_relu_training import *  # noqa: F401,F403
from .interactive import *  # noqa: F401,F403
from .linear_closed_forms import *  # noqa: F401,F403
from .linear_scale_form import *  # noqa: F401,F403
from .linear_solvers import *  # noqa: F401,F403
from .low_rank import *  # noqa: F401,F403
from .low_rank_explorer import *  # noqa: F401,F403
from .partition import *  # noqa: F401,F403
from .rank_one import *  # noqa: F401,F403
from .relu3 import *  # noqa: F401,F403
from .stairs import *  # noqa: F401,F403
from .two_layer import *  # noqa: F401,F403
from .two_layer_training import *  # noqa: F401,F403

#: Every public name of the package, gathered from the topic modules' ``__all__`` (by module path: a few
#: functions share their module's name, e.g. ``low_rank_explorer``).
__all__ = sorted(
    {"check_exercise", "SolverError"}
    | {
        name
        for module in ("book_toc", "column_generation", "deep_relu_training", "interactive", "linear_closed_forms",
                       "linear_scale_form", "linear_solvers", "low_rank", "low_rank_explorer", "partition", "rank_one", "relu3",
                       "stairs", "two_layer", "two_layer_training")
        for name in __import__("sys").modules[f"{__name__}.{module}"].__all__
    }
)
