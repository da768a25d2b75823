"""Plots of what a memory does, as scikit-learn ``Display`` objects.

Each display follows scikit-learn's visualization API: a class method
``from_estimator`` computes what is shown from a fitted (or, for
:class:`CapacityDisplay`, an unfitted) memory, the constructor takes the
computed values directly, and :meth:`plot` draws them on a Matplotlib ``ax``
(a new figure when none is given), storing the artists as attributes ending
in ``_``.  Matplotlib is optional: it is imported only when a plot is drawn,
and an ``ImportError`` says how to install it.

- :class:`RetrievalDisplay`: cue, retrieved state and nearest stored pattern,
  side by side as images.
- :class:`EnergyDisplay`: the energy of a batch of cues along the sweeps (or
  update steps) of retrieval.
- :class:`CapacityDisplay`: the fraction of stored patterns kept against the
  number stored, under the capacity criterion of each memory's theory, with
  the theoretical capacity.
"""

import copy
import inspect
import math
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "CapacityDisplay",
    "EnergyDisplay",
    "RetrievalDisplay",
    "default_criterion",
    "theoretical_capacity",
]


#: Parameters left out of a display's default label: they do not change what
#: a memory retrieves (``random_state`` picks the visiting order only).
_LABEL_IGNORED = ("n_jobs", "verbose", "random_state", "working_memory")


def _name(estimator):
    """A label for the estimator: its class and non-default parameters.

    Built as scikit-learn's ``repr`` does with ``print_changed_only``: the
    parameters that differ from the constructor's defaults, e.g.
    ``HopfieldMemory(learning_rule='storkey')`` (in the constructor's order),
    so that two memories of one class get different legend entries.
    Parameters that do not change what is retrieved (``n_jobs``,
    ``verbose``, ``random_state``, ``working_memory``) are left out.
    """
    cls = type(estimator)
    if not hasattr(estimator, "get_params"):
        return cls.__name__
    try:
        signature = inspect.signature(cls.__init__)
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return cls.__name__
    defaults = {
        name: p.default
        for name, p in signature.parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    params = estimator.get_params(deep=False)
    changed = [
        f"{name}={params[name]!r}"
        for name, default in defaults.items()  # in the signature's order
        if name in params
        and name not in _LABEL_IGNORED
        and repr(params[name]) != repr(default)
    ]
    return f"{cls.__name__}({', '.join(changed)})"


def _is_binary(estimator):
    return hasattr(estimator, "threshold")


def _default_image_shape(n_features):
    side = math.isqrt(n_features)
    return (side, side) if side * side == n_features else (1, n_features)


def _check_image_shape(image_shape, n_features):
    if image_shape is None:
        return _default_image_shape(n_features)
    image_shape = tuple(int(s) for s in image_shape)
    if len(image_shape) != 2 or math.prod(image_shape) != n_features:
        raise ValueError(
            f"image_shape={image_shape} does not hold the {n_features} features "
            "of a pattern: give (rows, columns) with rows * columns == "
            f"{n_features}."
        )
    return image_shape


def _dense(X):
    """A small batch as a float64 array (sparse input densified)."""
    return X.toarray().astype(np.float64) if sp.issparse(X) else np.asarray(X, dtype=np.float64)


def _nearest_stored(estimator, states):
    """Index of the stored pattern nearest each retrieved state.

    The binary memories' own rule (Hamming, ghosts counted where the energy
    is symmetric, see their ``predict``); for the modern memories the
    pattern with the largest similarity (the one that wins the attention as
    ``beta`` grows).
    """
    P = _dense(estimator.patterns_)
    S = _dense(states)
    similarity = getattr(estimator, "similarity", "euclidean")
    if similarity == "cosine":
        P = P / np.maximum(np.linalg.norm(P, axis=1, keepdims=True), 1e-300)
        return np.argmax(S @ P.T, axis=1)
    if similarity == "dot":
        return np.argmax(S @ P.T, axis=1)
    d = (S * S).sum(1)[:, None] - 2 * S @ P.T + (P * P).sum(1)[None, :]
    return np.argmin(d, axis=1)


def _binary_nearest_of_label(estimator, states, predicted):
    """The nearest stored pattern that carries the predicted label.

    ``predict`` lets tied patterns vote; the image shown must be one of the
    patterns of the winning label, nearest as ``predict`` measures it.
    """
    overlaps = states @ estimator.patterns_.T
    if estimator._model().symmetric:
        overlaps = np.abs(2.0 * overlaps + 0.5)
    mask = estimator.pattern_labels_[None, :] == np.asarray(predicted)[:, None]
    return np.argmax(np.where(mask, overlaps, -np.inf), axis=1)


def _figure_axes(ax, n_rows, n_cols, figsize):
    """A grid of axes: new, given as an array, or carved out of one ``ax``."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, axes = plt.subplots(n_rows, n_cols, figsize=figsize, squeeze=False)
        return fig, axes
    if isinstance(ax, np.ndarray) or isinstance(ax, (list, tuple)):
        axes = np.asarray(ax, dtype=object)
        if axes.size != n_rows * n_cols:
            raise ValueError(
                f"ax holds {axes.size} axes; this display needs {n_rows} x "
                f"{n_cols} = {n_rows * n_cols}, or give a single Axes."
            )
        axes = axes.reshape(n_rows, n_cols)
        return axes[0, 0].figure, axes
    # one Axes: split its area into the grid, as scikit-learn's
    # PartialDependenceDisplay does
    fig = ax.figure
    grid = ax.get_subplotspec().subgridspec(n_rows, n_cols)
    ax.set_axis_off()
    axes = np.empty((n_rows, n_cols), dtype=object)
    for i in range(n_rows):
        for j in range(n_cols):
            axes[i, j] = fig.add_subplot(grid[i, j])
    return fig, axes


class RetrievalDisplay:
    """Cue, retrieved state and nearest stored pattern, as images.

    One row per cue, three columns: the cue, the state the memory retrieves
    from it (:meth:`transform`), and the stored pattern nearest to that
    state, each reshaped to ``image_shape``.  Build it with
    :meth:`from_estimator`.

    Parameters
    ----------
    cues : ndarray of shape (n_cues, n_features)
        The cues as given.
    retrieved : ndarray of shape (n_cues, n_features)
        The retrieved states.
    nearest : ndarray of shape (n_cues, n_features)
        The stored pattern nearest each retrieved state.
    image_shape : tuple of (int, int)
        ``(rows, columns)`` of one image; ``rows * columns == n_features``.
    labels : array-like of shape (n_cues,), default=None
        Label of each nearest pattern, shown beside its image.
    estimator_name : str, default=None
        Shown in the title.
    value_range : tuple of (float, float), default=None
        ``(vmin, vmax)`` of the colour map, the same for every image;
        ``None``: the range of all the images.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes, shape (n_cues, 3)
        The axes of the images.
    images_ : ndarray of matplotlib AxesImage, shape (n_cues, 3)
        The images.
    figure_ : matplotlib Figure
        The figure holding them.

    See Also
    --------
    EnergyDisplay : The energy along retrieval.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skhopfield import HopfieldMemory
    >>> from skhopfield.datasets import make_binary_patterns, flip_bits
    >>> from skhopfield.inspection import RetrievalDisplay
    >>> X = make_binary_patterns(3, 64, random_state=0)
    >>> memory = HopfieldMemory(random_state=0).fit(X)
    >>> cues = flip_bits(X, 0.2, random_state=1)
    >>> display = RetrievalDisplay.from_estimator(memory, cues)
    >>> display.axes_.shape
    (3, 3)
    >>> bool((display.retrieved == X).all())
    True
    """

    def __init__(
        self,
        cues,
        retrieved,
        nearest,
        *,
        image_shape,
        labels=None,
        estimator_name=None,
        value_range=None,
    ):
        self.cues = cues
        self.retrieved = retrieved
        self.nearest = nearest
        self.image_shape = image_shape
        self.labels = labels
        self.estimator_name = estimator_name
        self.value_range = value_range

    @classmethod
    def from_estimator(cls, estimator, X, *, image_shape=None, ax=None, cmap="gray_r"):
        """Retrieve from the cues ``X`` with a fitted memory and plot.

        Parameters
        ----------
        estimator : fitted memory
            Any memory of this package with ``transform`` and ``patterns_``.
        X : array-like of shape (n_cues, n_features)
            Cues, one row of images each.
        image_shape : tuple of (int, int), default=None
            ``(rows, columns)`` of one image.  ``None``: a square when
            ``n_features`` is a perfect square, else one row of pixels.
        ax : matplotlib Axes or array of them, default=None
            Where to draw (see :meth:`plot`).
        cmap : str, default="gray_r"
            Colour map.

        Returns
        -------
        display : RetrievalDisplay
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        X = _dense(X)
        shape = _check_image_shape(image_shape, X.shape[1])
        labels = getattr(estimator, "pattern_labels_", None)
        if _is_binary(estimator):
            result = estimator.retrieve(X)
            retrieved, index = result.states, result.nearest
            if labels is not None:
                index = _binary_nearest_of_label(
                    estimator, retrieved, estimator.predict(X)
                )
            cues = np.where(X > estimator.threshold, 1.0, -1.0)
            value_range = (-1.0, 1.0)
        else:
            retrieved = estimator.transform(X)
            index = _nearest_stored(estimator, retrieved)
            cues = X
            stored = _dense(estimator.patterns_)
            value_range = (float(stored.min()), float(stored.max()))
            if getattr(estimator, "similarity", None) == "cosine":
                value_range = None  # states are unit-normalized
        display = cls(
            cues,
            retrieved,
            _dense(estimator.patterns_)[index],
            image_shape=shape,
            labels=None if labels is None else labels[index],
            estimator_name=_name(estimator),
            value_range=value_range,
        )
        return display.plot(ax=ax, cmap=cmap)

    def plot(self, ax=None, *, cmap="gray_r"):
        """Draw the images.

        Parameters
        ----------
        ax : matplotlib Axes or array of them, default=None
            ``None``: a new figure.  One Axes: its area is split into the
            ``(n_cues, 3)`` grid (and the estimator's name becomes its
            title), so several displays can share a figure.  An array of
            ``n_cues * 3`` Axes: used in row order.
        cmap : str, default="gray_r"
            Colour map.

        Returns
        -------
        display : RetrievalDisplay
            Itself, with ``axes_``, ``images_`` and ``figure_`` set.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        n = len(self.cues)
        fig, axes = _figure_axes(ax, n, 3, figsize=(4.0, 1.3 * n + 0.4))
        columns = (self.cues, self.retrieved, self.nearest)
        if self.value_range is None:
            vmin = min(float(np.min(c)) for c in columns)
            vmax = max(float(np.max(c)) for c in columns)
        else:
            vmin, vmax = self.value_range
        images = np.empty((n, 3), dtype=object)
        titles = ("cue", "retrieved", "nearest stored")
        for i in range(n):
            for j, column in enumerate(columns):
                a = axes[i, j]
                images[i, j] = a.imshow(
                    np.asarray(column[i]).reshape(self.image_shape),
                    cmap=cmap,
                    vmin=vmin,
                    vmax=vmax,
                    aspect="auto" if self.image_shape[0] == 1 else "equal",
                )
                a.set_xticks([])
                a.set_yticks([])
                if i == 0:
                    a.set_title(titles[j], fontsize=8)
            if self.labels is not None:
                axes[i, 2].set_ylabel(str(self.labels[i]), fontsize=8)
                axes[i, 2].yaxis.set_label_position("right")
        if self.estimator_name:
            if ax is not None and not isinstance(ax, (np.ndarray, list, tuple)):
                ax.set_title(self.estimator_name, fontsize=9, pad=14)
            else:
                fig.suptitle(self.estimator_name, fontsize=9)
        self.axes_, self.images_, self.figure_ = axes, images, fig
        return self


def _energy_trace(estimator, X, n_steps):
    """Energy of each cue after 0, 1, ..., n_steps sweeps or update steps."""
    est = copy.deepcopy(estimator)
    binary = _is_binary(est)
    if binary and not isinstance(est.random_state, (int, np.integer)):
        # one visiting order for the whole trace, so that max_iter=k is the
        # k-th state of one trajectory
        seed = check_random_state(est.random_state).randint(np.iinfo(np.int32).max)
        est.set_params(random_state=int(seed))
    if not binary and getattr(est, "similarity", None) == "cosine":
        start = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-300)
    else:
        start = X
    trace = [est.energy(start)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for k in range(1, n_steps + 1):
            est.set_params(max_iter=k)
            trace.append(est.energy(est.transform(X)))
    return np.array(trace)


class EnergyDisplay:
    """The energy of a batch of cues along retrieval, one line per cue.

    Asynchronous updates of the binary memories and the update steps of the
    modern memories never raise the energy: the lines only fall, and
    flatten once a fixed point is reached.  Build it with
    :meth:`from_estimator`.

    Parameters
    ----------
    steps : ndarray of shape (n_steps + 1,)
        Sweeps (binary memories) or update steps (modern), from 0.
    energies : ndarray of shape (n_steps + 1, n_cues)
        The energy of each cue's state after each number of steps.
    step_name : str, default="sweeps"
        Label of the horizontal axis.
    estimator_name : str, default=None
        Title of the plot.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        One line per cue.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    See Also
    --------
    RetrievalDisplay : What the retrieval ends in.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skhopfield import DenseAssociativeMemory
    >>> from skhopfield.datasets import make_binary_patterns, flip_bits
    >>> from skhopfield.inspection import EnergyDisplay
    >>> X = make_binary_patterns(20, 100, random_state=0)
    >>> memory = DenseAssociativeMemory(order=3, random_state=0).fit(X)
    >>> cues = flip_bits(X[:4], 0.3, random_state=1)
    >>> display = EnergyDisplay.from_estimator(memory, cues, n_steps=4)
    >>> display.energies.shape
    (5, 4)
    >>> bool((np.diff(display.energies, axis=0) <= 0).all())
    True
    """

    def __init__(self, steps, energies, *, step_name="sweeps", estimator_name=None):
        self.steps = steps
        self.energies = energies
        self.step_name = step_name
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, X, *, n_steps=10, ax=None, **kwargs):
        """Run retrieval from ``X`` step by step and plot the energies.

        The estimator itself is not changed: a copy is run with ``max_iter``
        ``= 1, 2, ..., n_steps`` (rows that settle earlier, by the
        estimator's own stopping rule, keep their state).  For the binary memories the
        copy keeps ``random_state`` if it is an int, and otherwise gets one
        drawn from it, so every ``k`` continues the same trajectory.  With
        ``similarity="cosine"`` step 0 is the energy of the unit-normalized
        cues, where the dynamics start.

        Parameters
        ----------
        estimator : fitted memory
            Any memory of this package.
        X : array-like of shape (n_cues, n_features)
            Cues.
        n_steps : int, default=10
            Sweeps (binary memories) or update steps (modern) to run.
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when ``None``.
        **kwargs : dict
            Passed to ``ax.plot``.

        Returns
        -------
        display : EnergyDisplay
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        if int(n_steps) < 1:
            raise ValueError(f"n_steps must be at least 1, got {n_steps}.")
        X = _dense(X)
        energies = _energy_trace(estimator, X, int(n_steps))
        display = cls(
            np.arange(int(n_steps) + 1),
            energies,
            step_name="sweeps" if _is_binary(estimator) else "update steps",
            estimator_name=_name(estimator),
        )
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, **kwargs):
        """Draw one line per cue.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when ``None``.
        **kwargs : dict
            Passed to ``ax.plot`` (default: small circle markers).

        Returns
        -------
        display : EnergyDisplay
            Itself, with ``lines_``, ``ax_`` and ``figure_`` set.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(4.5, 3.5))
        kwargs = {"marker": "o", "markersize": 3, **kwargs}
        self.lines_ = ax.plot(self.steps, self.energies, **kwargs)
        ax.set_xlabel(self.step_name)
        ax.set_ylabel("energy of each cue")
        if self.estimator_name:
            ax.set_title(self.estimator_name, fontsize=9)
        self.ax_, self.figure_ = ax, ax.figure
        return self


def _double_factorial(k):
    return math.prod(range(k, 0, -2)) if k > 0 else 1


#: Overlap ``m = x . xi / N`` with the stored pattern above which the fixed
#: point reached from that pattern counts as retrieved under the
#: ``"overlap"`` criterion.  Amit, Gutfreund & Sompolinsky's retrieval state
#: keeps ``m >= 0.967`` (at most about 1.6% wrong bits) up to the critical
#: load ``0.138 N`` and disappears beyond it, leaving states of small
#: overlap; any threshold between the two separates them.
OVERLAP_THRESHOLD = 0.95

#: criterion -> (what is counted, the level whose crossing is the capacity)
_CRITERIA = {
    "recall": (
        "fraction of noisy cues recalled exactly", 0.5,
    ),
    "overlap": (
        f"fraction of patterns kept with overlap >= {OVERLAP_THRESHOLD}", 0.5,
    ),
    "stable": ("fraction of patterns that are fixed points", 0.9),
    "all_stable": ("fraction of memories with every pattern fixed", 0.5),
}


def _entropy_rate(x):
    """``I(x) = ((1 + x) ln(1 + x) + (1 - x) ln(1 - x)) / 2`` of Demircigil et al."""
    def xlogx(v):
        return v * math.log(v) if v > 0 else 0.0

    return 0.5 * (xlogx(1 + x) + xlogx(1 - x))


def default_criterion(estimator):
    """The criterion under which the literature states the estimator's capacity.

    - Hebbian ``HopfieldMemory``: ``"overlap"`` (Amit, Gutfreund &
      Sompolinsky 1985: retrieval with a few wrong bits, ``0.138 N``);
    - Storkey and pseudo-inverse rules: ``"all_stable"`` (Storkey 1997;
      Personnaz et al. 1986: every stored pattern a fixed point);
    - ``DenseAssociativeMemory``, polynomial: ``"stable"`` (Krotov & Hopfield
      2016: a stored pattern is a fixed point with high probability);
    - everything else (the exponential dense memory, Demircigil et al. 2017;
      the modern memories): ``"recall"`` from noisy cues.

    Parameters
    ----------
    estimator : estimator
        A memory (only its parameters are read).

    Returns
    -------
    criterion : str
        One of ``"recall"``, ``"overlap"``, ``"stable"``, ``"all_stable"``.

    Examples
    --------
    >>> from skhopfield import HopfieldMemory
    >>> from skhopfield.inspection import default_criterion
    >>> default_criterion(HopfieldMemory("storkey"))
    'all_stable'
    """
    rule = getattr(estimator, "learning_rule", None)
    interaction = getattr(estimator, "interaction", None)
    if rule == "hebbian":
        return "overlap"
    if rule in ("storkey", "pseudoinverse"):
        return "all_stable"
    if interaction in ("polynomial", "rectified_polynomial"):
        return "stable"
    return "recall"


def theoretical_capacity(estimator, n_features, *, criterion=None, noise=None):
    """Patterns of ``n_features`` random +/-1 bits the memory is expected to store.

    The capacity the literature gives for the estimator's configuration,
    each under the criterion its authors used (see :func:`default_criterion`
    and :class:`CapacityDisplay`):

    - ``HopfieldMemory``, Hebbian: ``0.138 N`` under ``"overlap"`` (Amit,
      Gutfreund & Sompolinsky 1985); ``N / (4 ln N)`` under ``"all_stable"``
      and ``N / (2 ln N)`` under ``"stable"`` (McEliece, Posner, Rodemich &
      Venkatesh 1987);
    - Storkey: ``N / sqrt(2 ln N)`` under ``"all_stable"`` (Storkey 1997);
    - pseudo-inverse: ``N`` under ``"all_stable"`` or ``"stable"`` (Personnaz
      et al. 1986; every linearly independent set below ``N``);
    - ``DenseAssociativeMemory``, (rectified) polynomial of order ``n``:
      ``N^(n-1) / (2 (2n-3)!! ln N)`` under ``"stable"`` (Krotov & Hopfield
      2016);
    - exponential: ``exp(alpha N)`` with ``alpha = I(1 - 2 rho) / 2``,
      ``I(x) = ((1+x) ln(1+x) + (1-x) ln(1-x)) / 2``, for cues with a
      fraction ``rho`` of wrong bits (Demircigil, Heusel, Löwe, Upgang &
      Vermet 2017, a lower bound): ``rho = noise`` under ``"recall"``,
      ``rho = 0`` under ``"stable"`` or ``"all_stable"``.  With no
      ``criterion`` (or ``noise`` under ``"recall"``) it is returned as
      ``inf``.

    Parameters
    ----------
    estimator : estimator
        A memory (fitted or not; only its parameters are read).
    n_features : int
        ``N``, the number of neurons.
    criterion : {"recall", "overlap", "stable", "all_stable"}, default=None
        The criterion the figure is for.  ``None``: the estimator's own
        (:func:`default_criterion`), with the exponential memory's capacity
        as ``inf``.
    noise : float, default=None
        Fraction of wrong bits in the cues (``"recall"`` of the exponential
        memory only).

    Returns
    -------
    capacity : float or None
        ``None`` where the literature gives no figure for that criterion
        (the modern memories, other estimators).

    Examples
    --------
    >>> from skhopfield import HopfieldMemory
    >>> from skhopfield.inspection import theoretical_capacity
    >>> round(theoretical_capacity(HopfieldMemory(), 100), 1)
    13.8
    >>> round(theoretical_capacity(HopfieldMemory(), 100, criterion="all_stable"), 2)
    5.43
    """
    if criterion is not None:
        _check_criterion(criterion)
    N = float(n_features)
    ln_n = math.log(N)
    rule = getattr(estimator, "learning_rule", None)
    interaction = getattr(estimator, "interaction", None)
    own = default_criterion(estimator)
    chosen = own if criterion is None else criterion
    if rule == "hebbian":
        return {
            "overlap": 0.138 * N,
            "all_stable": N / (4 * ln_n),
            "stable": N / (2 * ln_n),
        }.get(chosen)
    if rule == "storkey":
        return N / math.sqrt(2 * ln_n) if chosen == "all_stable" else None
    if rule == "pseudoinverse":
        return N if chosen in ("all_stable", "stable") else None
    if interaction in ("polynomial", "rectified_polynomial"):
        if chosen != "stable":
            return None
        n = estimator.order
        return N ** (n - 1) / (2 * _double_factorial(2 * n - 3) * ln_n)
    if interaction == "exponential":
        if criterion is None or (chosen == "recall" and noise is None):
            return math.inf
        if chosen == "overlap":
            return None
        rho = float(noise) if chosen == "recall" else 0.0
        return math.exp(N * _entropy_rate(1.0 - 2.0 * rho) / 2.0)
    return None


def _check_criterion(criterion):
    if criterion not in _CRITERIA:
        raise ValueError(
            f"criterion must be 'auto' or one of {sorted(_CRITERIA)}, got "
            f"{criterion!r}."
        )


def _crossing(loads, fractions, level):
    """Where the fraction first falls below ``level``, log-interpolated.

    Returns ``(capacity, status)``: ``status`` is ``"ok"``, ``"below"`` (the
    first load already fails: ``capacity`` is ``None``) or ``"above"`` (no
    load fails: ``capacity`` is the largest load, a lower bound).
    """
    loads = np.asarray(loads, dtype=float)
    fractions = np.asarray(fractions, dtype=float)
    failing = np.flatnonzero(fractions < level)
    if len(failing) == 0:
        return float(loads[-1]), "above"
    k = int(failing[0])
    if k == 0:
        return None, "below"
    f0, f1 = fractions[k - 1], fractions[k]
    t = (f0 - level) / (f0 - f1)
    log_p = math.log(loads[k - 1]) + t * (math.log(loads[k]) - math.log(loads[k - 1]))
    return float(math.exp(log_p)), "ok"


class CapacityDisplay:
    """Fraction of stored patterns kept, against the number stored.

    Random +/-1 patterns of ``n_features`` bits are stored and each memory
    is scored under a capacity *criterion*; the fraction that meets it is
    plotted against the number stored, with the theoretical capacity under
    that criterion (see :func:`theoretical_capacity`) as a dashed vertical
    line of the same colour.  The criteria, each the one a capacity result
    of the literature is stated under (:func:`default_criterion` picks it):

    - ``"recall"``: a stored pattern cued with a fraction ``noise`` of its
      bits flipped is retrieved exactly (binary memories), or its label is
      predicted (other memories); capacity at the 50% point.  Demircigil et
      al. (2017), the exponential dense memory.
    - ``"overlap"``: started from the stored pattern itself, the dynamics
      end on a state of overlap ``m = x . xi / N >= 0.95`` with it (a few
      wrong bits allowed); capacity at the 50% point.  Amit, Gutfreund &
      Sompolinsky (1985), ``0.138 N`` for the Hebbian rule.
    - ``"stable"``: the stored pattern is a fixed point (no neuron flips);
      capacity where 90% of the patterns are.  Krotov & Hopfield (2016).
    - ``"all_stable"``: every pattern of the memory is a fixed point;
      capacity where half the memories drawn are.  McEliece et al. (1987),
      Storkey (1997), the pseudo-inverse rule.

    Build it with :meth:`from_estimator`; call it once per memory with the
    same ``ax`` to compare them.

    Parameters
    ----------
    n_patterns : ndarray of shape (n_loads,)
        Numbers of patterns stored.
    recall : ndarray of shape (n_loads,)
        Fraction meeting the criterion at each load.
    n_features : int
        Neurons of the memory.
    theory : float or None, default=None
        Theoretical capacity; no line when ``None``, infinite, or more than
        100 times the largest load (off the chart).
    estimator_name : str, default=None
        Label of the curve.
    criterion : {"recall", "overlap", "stable", "all_stable"}, default="recall"
        The criterion ``recall`` was measured under.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The measured curve.
    theory_line_ : matplotlib Line2D or None
        The theoretical capacity.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    See Also
    --------
    theoretical_capacity : The figures of the literature.
    default_criterion : The criterion each memory is measured under.

    References
    ----------
    D. J. Amit, H. Gutfreund and H. Sompolinsky, "Storing infinite numbers
    of patterns in a spin-glass model of neural networks", Phys. Rev. Lett.
    55 (1985).  R. J. McEliece, E. C. Posner, E. R. Rodemich and S. S.
    Venkatesh, "The capacity of the Hopfield associative memory", IEEE
    Trans. Inf. Theory 33 (1987).  A. Storkey, "Increasing the capacity of
    a Hopfield network without sacrificing functionality", ICANN 1997.
    D. Krotov and J. J. Hopfield, "Dense associative memory for pattern
    recognition", NeurIPS 2016.  M. Demircigil, J. Heusel, M. Löwe, S.
    Upgang and F. Vermet, "On a model of associative memory with huge
    storage capacity", J. Stat. Phys. 168 (2017).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skhopfield import HopfieldMemory
    >>> from skhopfield.inspection import CapacityDisplay
    >>> display = CapacityDisplay.from_estimator(
    ...     HopfieldMemory(random_state=0), n_features=64, n_patterns=[2, 8, 32])
    >>> display.criterion
    'overlap'
    >>> display.recall.shape
    (3,)
    >>> bool(display.recall[0] == 1.0 and display.recall[-1] < 0.5)
    True
    >>> display.line_.get_label()
    'HopfieldMemory()'
    """

    def __init__(
        self,
        n_patterns,
        recall,
        *,
        n_features,
        theory=None,
        estimator_name=None,
        criterion="recall",
    ):
        self.n_patterns = n_patterns
        self.recall = recall
        self.n_features = n_features
        self.theory = theory
        self.estimator_name = estimator_name
        self.criterion = criterion

    def measured_capacity(self):
        """The load where the fraction first falls below the criterion's level.

        Interpolated linearly in ``log P`` between the last load that meets
        the level (0.9 for ``"stable"``, 0.5 otherwise) and the first that
        does not.

        Returns
        -------
        capacity : float or None
            ``None`` when the smallest load already fails; the largest load
            (a lower bound) when none fails.
        """
        _check_criterion(self.criterion)
        return _crossing(self.n_patterns, self.recall, _CRITERIA[self.criterion][1])[0]

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        n_features=100,
        n_patterns=(5, 10, 20, 50, 100),
        noise=0.05,
        n_cues=60,
        random_state=0,
        ax=None,
        criterion="auto",
        n_trials=None,
        **kwargs,
    ):
        """Measure the criterion at each load with clones of ``estimator`` and plot.

        For each number of patterns ``P``, clones of the (unfitted)
        estimator store ``P`` random patterns (labelled ``0 .. P-1``) each,
        and each clone is scored under ``criterion`` (see the class
        docstring).  Under ``"recall"`` at most ``n_cues`` stored patterns
        per clone, evenly spaced, are cued with a fraction ``noise`` of
        their bits flipped; a binary memory recalls a pattern when it
        retrieves it exactly, every bit, any other memory when it predicts
        the cued pattern's label.  Under ``"stable"`` and ``"all_stable"``
        a pattern is stable when it is a fixed point of the fitted memory
        (its ``stable_patterns_``); under ``"overlap"`` the memory
        retrieves from the stored patterns themselves.  The clones are
        driven past their capacity on purpose: the warnings of their ``fit``
        and retrieval (``CapacityWarning``, ``ConvergenceWarning``) are not
        shown.

        Parameters
        ----------
        estimator : estimator
            The memory to measure (its fitted state, if any, is not used).
        n_features : int, default=100
            Neurons (bits per pattern).
        n_patterns : array-like of int, default=(5, 10, 20, 50, 100)
            Loads to measure.
        noise : float, default=0.05
            Fraction of bits flipped in each cue (``"recall"`` only).
        n_cues : int, default=60
            At most this many patterns are scored per clone.
        random_state : int, RandomState instance or None, default=0
            Draws the patterns and the flipped bits.
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when ``None``.
        criterion : {"auto", "recall", "overlap", "stable", "all_stable"}, \
                default="auto"
            What counts as stored.  ``"auto"``: the criterion of the
            estimator's own capacity result (:func:`default_criterion`).
            The criteria other than ``"recall"`` need a binary memory.
        n_trials : int, default=None
            Clones (independent draws of patterns) per load.  ``None``: 20
            under ``"all_stable"``; otherwise enough that about ``n_cues``
            patterns are scored at each load (one clone when ``P >=
            n_cues``).
        **kwargs : dict
            Passed to ``ax.plot`` for the measured curve.

        Returns
        -------
        display : CapacityDisplay
        """
        from .datasets import flip_bits, make_binary_patterns

        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        binary = _is_binary(estimator)
        if criterion == "auto":
            criterion = default_criterion(estimator)
        _check_criterion(criterion)
        if criterion != "recall" and not binary:
            raise ValueError(
                f"criterion={criterion!r} needs a binary memory (a fixed point of "
                f"its dynamics); {type(estimator).__name__} takes 'recall' only."
            )
        if n_trials is not None and int(n_trials) < 1:
            raise ValueError(f"n_trials must be at least 1, got {n_trials}.")
        rng = check_random_state(random_state)
        loads = np.asarray(n_patterns, dtype=int)
        recall = np.empty(len(loads))
        for i, P in enumerate(loads):
            P = int(P)
            if n_trials is not None:
                trials = int(n_trials)
            elif criterion == "all_stable":
                trials = 20
            else:
                trials = -(-int(n_cues) // P)
            hits = []
            for _ in range(trials):
                seed = int(rng.randint(np.iinfo(np.int32).max))
                X = make_binary_patterns(P, int(n_features), random_state=seed)
                idx = np.unique(np.linspace(0, P - 1, min(P, n_cues)).astype(int))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # over capacity on purpose
                    memory = clone(estimator).fit(X, np.arange(P))
                    if criterion == "all_stable":
                        hits.append(bool(np.all(memory.stable_patterns_)))
                    elif criterion == "stable":
                        hits.extend(memory.stable_patterns_[idx])
                    elif criterion == "overlap":
                        states = memory.transform(X[idx])
                        overlap = (states * X[idx]).mean(axis=1)
                        hits.extend(overlap >= OVERLAP_THRESHOLD)
                    elif binary:
                        cues = flip_bits(X[idx], noise, random_state=seed + 1)
                        hits.extend((memory.transform(cues) == X[idx]).all(axis=1))
                    else:
                        cues = flip_bits(X[idx], noise, random_state=seed + 1)
                        hits.extend(memory.predict(cues) == idx)
            recall[i] = np.mean(hits)
        display = cls(
            loads,
            recall,
            n_features=int(n_features),
            theory=theoretical_capacity(
                estimator, n_features, criterion=criterion, noise=noise
            ),
            estimator_name=_name(estimator),
            criterion=criterion,
        )
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, name=None, **kwargs):
        """Draw the measured curve and the theory line.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when ``None``.
        name : str, default=None
            Legend label; ``estimator_name`` when ``None``.
        **kwargs : dict
            Passed to ``ax.plot`` for the measured curve.

        Returns
        -------
        display : CapacityDisplay
            Itself, with ``line_``, ``theory_line_``, ``ax_`` and ``figure_``
            set.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        _check_criterion(self.criterion)
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        label = name if name is not None else self.estimator_name
        kwargs = {"marker": "o", "label": label, **kwargs}
        (self.line_,) = ax.plot(self.n_patterns, self.recall, **kwargs)
        self.theory_line_ = None
        loads = np.asarray(self.n_patterns, dtype=float)
        if (
            self.theory is not None
            and math.isfinite(self.theory)
            and (len(loads) == 0 or self.theory <= 100 * loads.max())
        ):
            self.theory_line_ = ax.axvline(
                self.theory, color=self.line_.get_color(), linestyle="--", linewidth=1
            )
        ax.set_xscale("log")
        ax.set_ylim(-0.05, 1.05)
        ax.set_xlabel(f"patterns stored, P  (N = {self.n_features} neurons)")
        ax.set_ylabel(
            "fraction recalled"
            if self.criterion == "recall"
            else _CRITERIA[self.criterion][0].replace("fraction of ", "fraction: ")
        )
        if label:
            ax.legend(loc="lower left", fontsize=8)
        self.ax_, self.figure_ = ax, ax.figure
        return self
