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
- :class:`CapacityDisplay`: the fraction of stored patterns recalled against
  the number stored, with the theoretical capacity.
"""

import copy
import math
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_is_fitted

__all__ = ["CapacityDisplay", "EnergyDisplay", "RetrievalDisplay", "theoretical_capacity"]


def _name(estimator):
    return type(estimator).__name__


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


def theoretical_capacity(estimator, n_features):
    """Patterns of ``n_features`` random +/-1 bits the memory is expected to store.

    The capacity the literature gives for the estimator's configuration:

    - ``HopfieldMemory``: Hebbian ``0.138 N`` (Amit, Gutfreund & Sompolinsky
      1985); Storkey ``N / sqrt(2 ln N)`` (Storkey 1997); pseudo-inverse
      ``N`` (Personnaz et al. 1986; every independent set below ``N``);
    - ``DenseAssociativeMemory``, (rectified) polynomial of order ``n``:
      ``N^(n-1) / (2 (2n-3)!! ln N)`` (Krotov & Hopfield 2016);
      exponential: exponential in ``N`` (Demircigil et al. 2017), returned as
      ``inf``.

    Parameters
    ----------
    estimator : estimator
        A memory (fitted or not; only its parameters are read).
    n_features : int
        ``N``, the number of neurons.

    Returns
    -------
    capacity : float or None
        ``None`` where the literature gives no such figure (the modern
        memories, other estimators).

    Examples
    --------
    >>> from skhopfield import HopfieldMemory
    >>> from skhopfield.inspection import theoretical_capacity
    >>> round(theoretical_capacity(HopfieldMemory(), 100), 1)
    13.8
    """
    N = float(n_features)
    ln_n = math.log(N)
    rule = getattr(estimator, "learning_rule", None)
    interaction = getattr(estimator, "interaction", None)
    if rule == "hebbian":
        return 0.138 * N
    if rule == "storkey":
        return N / math.sqrt(2 * ln_n)
    if rule == "pseudoinverse":
        return N
    if interaction in ("polynomial", "rectified_polynomial"):
        n = estimator.order
        return N ** (n - 1) / (2 * _double_factorial(2 * n - 3) * ln_n)
    if interaction == "exponential":
        return math.inf
    return None


class CapacityDisplay:
    """Fraction of stored patterns recalled against the number stored.

    Random +/-1 patterns of ``n_features`` bits are stored, each cued with a
    copy that has a fraction of its bits flipped, and the fraction recalled
    is plotted against the number stored, with the theoretical capacity (see
    :func:`theoretical_capacity`) as a dashed vertical line of the same
    colour.  Build it with :meth:`from_estimator`; call it once per memory
    with the same ``ax`` to compare them.

    Parameters
    ----------
    n_patterns : ndarray of shape (n_loads,)
        Numbers of patterns stored.
    recall : ndarray of shape (n_loads,)
        Fraction of the cued patterns recalled at each load.
    n_features : int
        Neurons of the memory.
    theory : float or None, default=None
        Theoretical capacity; no line when ``None`` or infinite.
    estimator_name : str, default=None
        Label of the curve.

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

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skhopfield import HopfieldMemory
    >>> from skhopfield.inspection import CapacityDisplay
    >>> display = CapacityDisplay.from_estimator(
    ...     HopfieldMemory(random_state=0), n_features=64, n_patterns=[2, 8, 32])
    >>> display.recall.shape
    (3,)
    >>> bool(display.recall[0] == 1.0 and display.recall[-1] < 0.5)
    True
    """

    def __init__(
        self, n_patterns, recall, *, n_features, theory=None, estimator_name=None
    ):
        self.n_patterns = n_patterns
        self.recall = recall
        self.n_features = n_features
        self.theory = theory
        self.estimator_name = estimator_name

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
        **kwargs,
    ):
        """Measure recall at each load with clones of ``estimator`` and plot.

        For each number of patterns ``P`` a clone of the (unfitted)
        estimator stores ``P`` random patterns (labelled ``0 .. P-1``) and is
        cued with at most ``n_cues`` of them, evenly spaced, each with a
        fraction ``noise`` of its bits flipped.  A binary memory recalls a
        pattern when it retrieves it exactly, every bit; any other memory
        when it predicts the cued pattern's label.

        Parameters
        ----------
        estimator : estimator
            The memory to measure (its fitted state, if any, is not used).
        n_features : int, default=100
            Neurons (bits per pattern).
        n_patterns : array-like of int, default=(5, 10, 20, 50, 100)
            Loads to measure.
        noise : float, default=0.05
            Fraction of bits flipped in each cue.
        n_cues : int, default=60
            At most this many patterns are cued at each load.
        random_state : int, RandomState instance or None, default=0
            Draws the patterns and the flipped bits.
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when ``None``.
        **kwargs : dict
            Passed to ``ax.plot`` for the measured curve.

        Returns
        -------
        display : CapacityDisplay
        """
        from .datasets import flip_bits, make_binary_patterns

        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        rng = check_random_state(random_state)
        loads = np.asarray(n_patterns, dtype=int)
        recall = np.empty(len(loads))
        binary = _is_binary(estimator)
        for i, P in enumerate(loads):
            seed = int(rng.randint(np.iinfo(np.int32).max))
            X = make_binary_patterns(int(P), int(n_features), random_state=seed)
            memory = clone(estimator).fit(X, np.arange(P))
            idx = np.unique(np.linspace(0, P - 1, min(P, n_cues)).astype(int))
            cues = flip_bits(X[idx], noise, random_state=seed + 1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                if binary:
                    hit = (memory.transform(cues) == X[idx]).all(axis=1)
                else:
                    hit = memory.predict(cues) == idx
            recall[i] = hit.mean()
        display = cls(
            loads,
            recall,
            n_features=int(n_features),
            theory=theoretical_capacity(estimator, n_features),
            estimator_name=_name(estimator),
        )
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, name=None, **kwargs):
        """Draw the recall curve and the theory line.

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

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        label = name if name is not None else self.estimator_name
        kwargs = {"marker": "o", "label": label, **kwargs}
        (self.line_,) = ax.plot(self.n_patterns, self.recall, **kwargs)
        self.theory_line_ = None
        if self.theory is not None and math.isfinite(self.theory):
            self.theory_line_ = ax.axvline(
                self.theory, color=self.line_.get_color(), linestyle="--", linewidth=1
            )
        ax.set_xscale("log")
        ax.set_ylim(-0.05, 1.05)
        ax.set_xlabel(f"patterns stored, P  (N = {self.n_features} neurons)")
        ax.set_ylabel("fraction recalled")
        if label:
            ax.legend(loc="lower left", fontsize=8)
        self.ax_, self.figure_ = ax, ax.figure
        return self
