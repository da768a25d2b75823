"""The modern Hopfield classifier: the attention read out on one-hot labels."""

import time
import warnings
from numbers import Integral, Real
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._array_api import get_namespace_and_device
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ._batch import report
from ._core import learned
from ._core.loo import duplicate_groups
from ._core.namespace import _device, _hi, _is_host, _ldexp, _move, _ns
from ._core.scoring import ModernMemory, frame, unit_rows
from ._modern_base import (
    AUTO_BETA_SCALE,
    _BaseModernMemory,
    _check_magnitude,
    _host,
)
from ._validation import (
    N_JOBS_CONSTRAINT,
    VERBOSE_CONSTRAINT,
    check_label_types,
    check_same_label_kind,
    restore_on_error,
    update_classes,
    validate_data,
    whole_copies,
)

#: A learned prototype memory keeps at most this many training rows per class
#: (the Notes of ModernHopfieldClassifier quote the number),
#: a uniform sample of those seen, for :meth:`ModernHopfieldClassifier.partial_fit`
#: to rehearse.
REHEARSAL_ROWS = 100

#: With ``verbose >= 2``, a learned memory reports its optimizer's progress
#: every this many L-BFGS-B iterations.
PROGRESS_EVERY = 10


class ModernHopfieldClassifier(ClassifierMixin, _BaseModernMemory):
    """Continuous modern Hopfield network (Ramsauer et al. 2020).

    Stores real-valued patterns and their labels.  A state ``xi`` is updated
    by attention over the stored patterns, ``xi <- X^T softmax(beta z)`` with
    ``z_mu`` the similarity of ``xi`` to pattern ``mu``; the same attention
    weights applied to the one-hot labels of the stored patterns are the class
    probabilities.  Small ``beta`` averages over all patterns (the global,
    metastable state); large ``beta`` retrieves the single most similar
    pattern, so the classifier becomes 1-nearest-neighbour; in between it is
    a soft, kernel-weighted vote.

    Parameters
    ----------
    beta : float, "auto" or "learn", default="auto"
        Inverse temperature, ``> 0``.  ``"learn"`` trains it (see
        *Learned memories* in the Notes), starting from the ``"auto"``
        value.  ``"auto"`` uses ``beta_ = 20 / v``
        with ``v = sum_j Var(X[:, j])`` the total variance of the stored
        patterns (of the unit-normalized patterns for ``"cosine"``), so the
        default follows the scale of the data: with ``"euclidean"`` the
        attention is the Gaussian kernel ``exp(-10 ||x^mu - xi||^2 / v)``, and
        a pattern at the average squared distance of two random patterns,
        ``2 v``, weighs ``e^-20`` of one at the cue itself: a local, soft
        vote among the nearest patterns.  Measured in
        ``benchmarks/README.md`` (standardized data, 5-fold CV), the
        default is within 0.2 points of the best searched ``beta`` on digits,
        wine and breast cancer.  Any float can be set or grid-searched
        instead; the value used is ``beta_``.  ``"auto"`` is computed on the
        patterns rescaled by a power of two (see Notes), so it is exact at
        any scale float64 holds; when all stored patterns are equal (``v =
        0``, every pattern scores the same) it falls back to ``beta_ = 1``.
    similarity : {"euclidean", "dot", "cosine", "manhattan"}, default="euclidean"
        How a state is compared with the stored patterns inside the softmax.

        - ``"euclidean"``: ``z_mu = -||x^mu - xi||^2 / 2`` (up to a term
          equal for all patterns), i.e. the dot product plus the per-pattern
          offset ``-||x^mu||^2 / 2``.  The default: patterns with a large norm
          do not win attention merely for being large, which costs the raw
          dot product 7.5 points of accuracy against KNN on standardized
          digits (nested CV: 0.902 against 0.977; euclidean 0.970); the
          energy and its never-rising guarantee carry over, :meth:`transform`
          retrieves states in the data space, tiny ``beta`` gives the mean of
          the stored patterns and huge ``beta`` exactly 1-nearest-neighbour.
        - ``"dot"``: ``z_mu = x^mu . xi``, the paper's ``beta X xi``.
        - ``"cosine"``: the dot product of unit-normalized patterns with a
          cue normalized to unit length before the first step; later states
          are convex combinations of unit patterns and are not renormalized
          (so the CCCP guarantee holds), and :meth:`transform` returns them
          in that normalized space.  For classification it measured 0.1 to
          0.4 points better than ``"euclidean"`` on the three benchmark data
          sets (its useful ``beta`` are larger: scores lie in ``[-1, 1]``).
        - ``"manhattan"``: ``z_mu = -||x^mu - xi||_1`` (Universal Hopfield
          Networks, Millidge et al. 2022), scored tile by tile; with every
          ``separation``.  Its update descends no known energy, so
          :meth:`energy` refuses it; sparse stored patterns are densified.
          Learned memories train on the same scores (``-||W xi - W
          x^mu||_1``, subgradient ``sign``).  ``beta="auto"`` divides by
          twice the total mean absolute deviation.
    separation : {"softmax", "sparsemax", "entmax", "polynomial", "max"}, \
            default="softmax"
        The map from the scaled scores ``s = beta z`` to attention weights:
        ``sep(s) = argmax_{p in simplex} <p, s> - Omega(p)``, and the update
        is ``xi <- X^T sep(beta z)``.  The energy is the
        Hopfield-Fenchel-Young energy ``-Omega*(beta z) / beta + 1/2 xi^T xi
        + H / beta + 1/2 M^2`` (``Omega*`` the convex conjugate, ``H = -min
        Omega``; Santos et al. 2024), of which every update step is the
        concave-convex step, so it never rises.

        - ``"softmax"``: ``Omega`` the negative Shannon entropy, ``Omega*``
          the log-sum-exp; every weight positive (the default).
        - ``"sparsemax"``: ``Omega(p) = (||p||^2 - 1) / 2``, the projection
          onto the simplex, ``[s - tau]_+`` (Martins & Astudillo 2016; Hu et
          al. 2023): patterns scoring ``1 / beta`` below the best weigh 0.
        - ``"entmax"``: the Tsallis entropy of ``alpha = entmax_alpha``,
          ``[(alpha - 1) s - tau]_+^(1 / (alpha - 1))`` (Peters et al. 2019).
        - ``"polynomial"``: the rectified power of order ``n =
          separation_order`` normalized by its threshold, ``[s / n -
          tau]_+^n``, i.e. entmax at ``alpha = 1 + 1/n`` (``Omega*`` is the
          rectified polynomial interaction of Krotov & Hopfield 2016).
        - ``"max"``: ``Omega = 0``, the hard argmax (ties shared): the
          nearest pattern, 1-nearest-neighbour at any ``beta``.

        For the sparse ones (all but softmax) one update step lands exactly
        on the stored pattern ``x^mu`` once ``beta (z_mu - max_{nu != mu}
        z_nu) >= 1 / (alpha - 1)`` (Santos et al.), and
        :meth:`predict_proba` can be exactly 0 (see Notes).
    entmax_alpha : float, default=1.5
        ``alpha`` of ``separation="entmax"``, in ``(1, 2]``: tends to softmax
        as ``alpha -> 1``, sparsemax at 2.  Exact (sort-based) at 2, Newton
        steps from below (a handful, to the dtype's resolution) otherwise.
    separation_order : float, default=2
        Order ``n >= 1`` of ``separation="polynomial"`` (1 is sparsemax).
    max_iter : int, default=1
        Update steps.  :meth:`transform` runs up to ``max_iter`` steps from
        each cue and returns the state reached.  :meth:`predict_proba` runs
        ``max_iter - 1`` state updates and then reads the labels with the
        attention of the final, ``max_iter``-th step: with the default
        ``max_iter=1`` the class probabilities are the attention of the cue
        itself, one matrix product (Ramsauer et al. show one step usually
        suffices).
    tol : float, default=1e-4
        A row stops early once one update step moves its state by at most
        ``tol * M`` (Euclidean norm, ``M = max_norm_``).
    prototypes_per_class : int, array-like of int or None, default=None
        ``None`` stores every training row (no training unless ``beta="learn"``
        or ``n_components`` is set).  An int ``k``, or one int per class in the
        order of ``classes_``: store ``k`` patterns per class, learned (see
        *Learned memories*); a class with fewer distinct rows gets one
        pattern per distinct row.
    n_components : int or None, default=None
        Dimension of a learned linear association space: a map ``W``
        (``components_``, ``n_features -> n_components``) applied to cues and
        stored patterns alike before the similarity, the Hopfield layer's
        key/query projection.  Initialized by PCA, then trained.  At most
        ``n_features``.
    alpha : float, default=3e-3
        Strength of the L2 penalty on the logit weights of learned
        prototypes, ``alpha / 2 * v * mean_mu ||beta W^T W (x^mu - m)||^2``
        (``m`` the training mean, the origin for ``"dot"``; ``v`` the total
        variance of the training rows, which makes it scale-free; ``W`` the
        identity without ``n_components``; for ``"cosine"``, ``alpha / 2 * v
        * beta^2`` with ``v`` that of the mapped unit rows): weight decay on
        the linear logit differences that the prototypes define, as in
        logistic regression.  It depends on ``W`` and ``beta`` only through
        ``beta W^T W``, as the logits do, so the objective has a minimum.
        Without it the training set, once separable, drives ``beta`` and the
        prototypes apart without bound and accuracy drops (breast cancer,
        5-fold, one prototype per class: 95.4% with ``alpha=0``, 98.2% with
        the default).  For ``"manhattan"``, whose logits are
        ``-beta ||W (xi - x^mu)||_1``, it is ``alpha / 2 * mean_mu
        ||beta W (x^mu - m)||_1^2`` (already scale-free; it depends on
        ``beta W`` only).  Ignored with ``prototypes_per_class=None``, whose
        leave-one-out loss is already a held-out one.
    max_fit_iter : int, default=1000
        Iteration limit of the L-BFGS-B training of a learned memory; a
        ``ConvergenceWarning`` says when it is reached.  With the default
        ``fit_tol``, on the standardized digits, iris, wine and breast
        cancer data (75% training splits, three seeds; 1 to 5 prototypes
        per class, with and without a map of 5 components, or every row
        stored), training stopped by ``fit_tol`` after at most 231
        iterations on digits without a map (5 per class: 163 to 231),
        433 to 640 on digits with the map, and at most 106 on the other
        three.
    fit_tol : float, default=1e-5
        Stopping rule of that training, relative to the objective ``f``
        (the mean cross-entropy plus penalty): it stops once an iteration
        lowers ``f`` by at most ``fit_tol * max(|f|, 1)``, or once no entry
        of the projected gradient exceeds ``fit_tol`` in magnitude (scipy's
        ``ftol`` and ``gtol``, as scikit-learn's logistic regression and
        NCA use them).  On digits, ``1e-4`` trains 4 to 5 times faster and
        loses about 0.5 points of held-out accuracy.
    random_state : int, RandomState instance or None, default=None
        Seeds the per-class k-means that places the initial prototypes.
    n_jobs : int, default=None
        Number of joblib workers for batch retrieval; ``None`` means 1 unless
        in a ``joblib.parallel_config`` context, ``-1`` means all processors.
        Results do not depend on it, nor on ``working_memory``: predictions
        are identical, real-valued outputs agree to floating-point rounding
        (BLAS sums in an order that depends on the block's shape).
    verbose : int, default=0
        Progress messages on standard output; none at 0.  At 1, one line per
        fit and per batch (prediction, retrieval, energy) with its size and
        time.  At 2 and more, also a line as each chunk of a batch completes
        (rows done, rate, time left), with any ``n_jobs``, and for a learned
        memory the optimizer's loss every 10 L-BFGS-B iterations.

    Attributes
    ----------
    patterns_ : ndarray of shape (n_patterns, n_features)
        The stored patterns as given, in the dtype they were given (float32
        or float64); the network keeps a second copy in its frame (see
        Notes).
    pattern_labels_ : ndarray of shape (n_patterns,)
        Label of each stored pattern.
    pattern_weights_ : ndarray of shape (n_patterns,)
        Prior weight of each stored pattern (the ``sample_weight`` of
        :meth:`fit`, all 1 without it, and for learned memories); see Notes.
    classes_ : ndarray of shape (n_classes,)
        Sorted class labels.
    beta_ : float
        The inverse temperature used (``beta``, or its ``"auto"`` value), in
        the data's units.  With ``"auto"`` on data whose scale is beyond
        about ``1e-154`` or ``1e154`` its value ``20 / v`` leaves the float64
        range and ``beta_`` reads ``inf`` or ``0``; the computations use
        ``beta_`` times the squared scale of the data (see Notes), which is
        exact, so predictions are unaffected.
    max_norm_ : float
        ``M``, the largest norm of the stored patterns as the dynamics see
        them: unit-normalized for ``"cosine"``; for ``"euclidean"`` measured
        from the patterns' mean (the similarity is translation invariant,
        and so are ``M``, the energy and ``tol``); from the origin for
        ``"dot"``.  Enters the energy and ``tol``.
    components_ : ndarray of shape (n_components, n_features)
        The learned map ``W`` into the association space (only when
        ``n_components`` is set).
    class_count_ : ndarray of shape (n_classes,)
        For a learned prototype memory: the number of training rows seen
        per class (whole-number sample weights count as repetitions), by
        :meth:`fit` and every :meth:`partial_fit` since; the weight of each
        class's rehearsal in :meth:`partial_fit`.
    n_iter_ : int
        For a learned memory: L-BFGS-B iterations of the last training (at
        least 1: the first evaluation counts).  Otherwise: update steps that
        the fit self-check needed at most: :meth:`fit` runs
        :meth:`transform`'s dynamics from an evenly spaced sample of at most
        64 stored patterns; 1 when one step moves each by at most
        ``tol * max_norm_`` (``max_iter`` when some sample row did not settle).
        Per-query counts are in the result of :meth:`retrieve`.
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`, when ``X`` has string
        feature names.

    See Also
    --------
    HopfieldMemory : Classical binary Hopfield network.
    sklearn.neighbors.KNeighborsClassifier : The hard-vote counterpart.

    Notes
    -----
    Energy of a state ``xi`` (row of :meth:`energy`):
    ``E = -lse(beta, z) + 1/2 xi^T xi + ln(P)/beta + 1/2 M^2`` with
    ``lse(beta, z) = log(sum_mu exp(beta z_mu)) / beta``.  An update step is
    the concave-convex procedure step on ``E``, so no step increases it.
    For ``"euclidean"`` the first three terms equal
    ``-log(mean_mu exp(-beta ||x^mu - xi||^2 / 2)) / beta``, translation
    invariant, and ``M`` is measured from the patterns' mean: the energy is
    Ramsauer et al.'s with the constant ``1/2 M^2`` shifted by
    ``1/2 (M_origin^2 - M^2)`` (``M_origin`` the largest norm from the
    origin), so that it is the same for data translated anywhere, and still
    ``>= 0``.

    The dynamics run in the stored patterns' own frame: ``u = (x - c) /
    2**k``, with ``c`` the patterns' mean for ``"euclidean"`` (0 for
    ``"dot"``, which is not translation invariant, and ``"cosine"``) and
    ``2**k`` the power of two just above the patterns' largest ``|x - c|``
    (1 for ``"cosine"``); ``beta`` becomes ``beta 4**k``.  Cues are mapped
    the same way (one pass over them), and :meth:`transform`, :meth:`energy`
    (times ``4**k``) and ``patterns_`` are in the data's coordinates.  So
    float32 data far from the origin keep their digits (on data offset by
    ``1e4`` float32 predicts as in float64, where ``q . x - ||x||^2 / 2``
    in the data's coordinates cancelled to chance), and data of any scale
    that float64 holds give the predictions they give at scale 1 (``"dot"``
    and ``"euclidean"`` with ``beta="auto"``; ``"cosine"`` at any
    ``beta``).  What cannot be computed is refused: a cue so far from the
    stored patterns, or a ``beta 4**k`` so large, that the scores would
    overflow the dtype, and energies whose value (in the data's squared
    units) overflows it.  A ``beta 4**k`` below the range of the dtype
    (e.g. ``1e-50`` in float32) is its ``beta -> 0`` limit: uniform
    attention, and the energy's limit ``-mean_mu z_mu + 1/2 xi^T xi + 1/2
    M^2``, which :meth:`energy` computes without dividing by ``beta``.
    Everything is computed with a bound or the row maximum subtracted
    before ``exp``, so any ``beta`` from ``1e-6`` to ``1e6`` in the data's
    units is finite and warning-free; the row maximum, where the bound is
    too loose (a large ``beta``), comes from the same matrix product, so
    :meth:`predict` scores each cue against the patterns once at any
    ``beta``.

    Sparse input (``scipy.sparse``, stored as CSR) is accepted for the
    stored patterns and for the cues of every method.  Sparse patterns stay
    sparse: each tile of cues is scored with a sparse product (memory
    bounded by the engine's chunks, as for dense input); they are not
    centered (that would fill in the zeros), which changes the euclidean
    results only by rounding, for data whose offset from the origin is not
    huge next to their spread.  States after an update step are dense, and
    :meth:`transform` returns a dense array.  A learned memory densifies
    sparse input.

    Under ``sklearn.config_context(array_api_dispatch=True)`` (with
    ``SCIPY_ARRAY_API=1``) the network computes in the namespace and on the
    device of its input, e.g. torch tensors on a GPU, and returns arrays of
    that namespace and device; ``n_jobs`` then does not apply (the library
    parallelizes on the device) and ``working_memory`` still bounds each
    chunk.  Learned memories and sparse input are numpy only.  See the
    "Running on a GPU" page of the documentation.

    Sample weights are a prior on the stored patterns: ``log w_mu`` is
    added to the scores ``beta z_mu``, so the attention is proportional to
    ``w_mu exp(beta z_mu)``, and the energy's ``lse`` and ``ln P`` become
    ``log(sum_mu w_mu exp(beta z_mu)) / beta`` and ``ln(sum_mu w_mu)``.
    Storing a pattern with weight 2 is the same network as storing it twice
    (predictions identical, probabilities, states and energies equal to
    rounding); weight 0 drops it.  Only the ratios of the weights matter to
    softmax's dynamics (the other separations count copies: see
    *Separations* below).

    float32 input is computed in float32 and returned as float32; float64
    as float64.  Cues of a different dtype than the stored patterns are
    computed in the cue's dtype.

    Prediction is the cues' map to the frame, then one GEMM ``cues @
    patterns^T`` per tile of cues, the row
    maximum subtracted and ``exp`` taken in place, then a small GEMM with the
    one-hot label matrix; tiles are about 16 MiB of scores so they stay in
    cache between the passes, and are shared out to as many threads as BLAS
    may use (BLAS single-threaded meanwhile).  Batches are cut by the shared engine to fit
    ``sklearn.get_config()["working_memory"]`` and spread over ``n_jobs``.

    **Separations.**  A separation other than softmax needs all the scores
    of a row at once: they are computed exactly (row maximum subtracted),
    in tiles that hold whole rows within the engine's ``working_memory``
    bound, and the threshold ``tau`` is found among the scores within
    ``1 / (beta (alpha - 1))`` of the best (no other can be in the support),
    by sorting them (sparsemax) or by Newton steps from below.  Such weights can be exactly 0, so :meth:`predict_proba` can
    give a class probability exactly 0 (a log-loss of it is infinite);
    :meth:`kpatterns` lists the support.  ``beta="auto"`` is tuned for
    softmax and leaves sparse separations a support of few patterns; search
    smaller ``beta`` for a broader vote.  A learned memory trains on the
    separation's Fenchel-Young loss, ``Omega*(s) - Omega*(s on the row's
    class)`` (the sparsemax or entmax loss; the cross-entropy for softmax),
    finite where the class's weight is 0.  Inside
    :func:`~skhopfield.sharded_memory` such a memory is not sharded (the
    whole memory scores each chunk).  A ``sample_weight`` counts as copies
    of the pattern: the weighted regularizer ``(sum_j w_j^(1 - alpha)
    p_j^alpha - 1) / (alpha (alpha - 1))``, whose weights are ``p_j = w_j
    [(alpha - 1) s_j - tau]_+^(1 / (alpha - 1))`` (softmax's ``w_j
    exp(s_j)`` in the limit), so a weight of 2 is the pattern stored twice;
    unlike softmax's, the result depends on the weights' scale, not only on
    their ratios.

    **Learned memories.**  With ``prototypes_per_class``, ``beta="learn"`` or
    ``n_components``, :meth:`fit` trains the memory to minimize the mean
    cross-entropy of :meth:`predict_proba` on the training rows,
    ``-1/n sum_i log p_{y_i}(x_i)``, with L-BFGS-B on the analytic gradient
    (``max_fit_iter``, ``fit_tol``): the stored patterns (started at
    per-class k-means centres), ``log beta`` (with ``"learn"``; kept within
    ``[1e-6, 1e6]``) and the map ``W`` (started at the PCA axes), plus the
    L2 penalty of ``alpha`` on learned prototypes.  With a map and
    ``"euclidean"`` or ``"dot"`` the logits depend on ``beta W^T W`` only,
    so the scale is learned once, in ``W``, and ``beta_`` keeps its
    starting value (``"auto"``'s with ``"learn"``).  With
    ``prototypes_per_class=None`` every training row is stored and the loss
    is the leave-one-out one (a row never attends to itself, nor to its
    identical copies: rows repeated in the data or by a whole-number
    ``sample_weight`` are left out together, so weight ``k``, ``k`` copies
    and weight 1 give the same ``beta_`` when all weights are equal); then only
    ``beta`` and ``W`` are learned, through row chunks cut to
    ``working_memory`` (no ``(n, n)`` matrix in one piece).  The learned
    ``patterns_``, ``pattern_labels_``, ``beta_`` and ``components_`` *are*
    the memory: :meth:`predict_proba`, :meth:`transform`, :meth:`energy`
    and the update steps use them as they use stored rows, at a cost of
    ``C k`` patterns per cue instead of ``n``.

    With euclidean similarity and no map this is robust soft learning vector
    quantization (Seo & Obermayer 2003); with every row stored and ``W``
    learned it is neighbourhood components analysis (Goldberger et al.
    2004) with the soft-vote read-out; in general it is the Hopfield layer
    with learned stored patterns and a learned query/key projection
    (Ramsauer et al.).  With ``n_components`` the states stay in the input
    space and the similarity is taken in the association space: ``z_mu`` is
    the similarity of ``W xi`` to ``W x^mu``, an update step is ``xi <-
    patterns_^T softmax(beta_ z)`` (a convex combination of the stored
    patterns), so :meth:`transform` returns input-space states of shape
    ``(n_samples, n_features)``; :meth:`energy` is
    ``-lse(beta, z) + 1/2 ||W xi - c||^2 + ln(P)/beta + 1/2 M^2`` with
    ``c`` the mean of the ``W x^mu`` for ``"euclidean"`` (the origin
    otherwise) and ``M`` the largest ``||W x^mu - c||`` (``max_norm_``): in
    the association space the step is the plain network's step on the
    mapped patterns, so the CCCP argument holds and no update step raises
    it.  ``tol`` is then compared with the input-space step.  For
    ``"cosine"`` the cue is scaled so that ``W xi`` has unit norm before the
    first step.  With ``"manhattan"`` the scores are ``-||W xi - W
    x^mu||_1`` and the gradient uses the subgradient ``sign`` of ``|.|``
    (0 at 0); L-BFGS-B on this nonsmooth objective stops at ``fit_tol`` or
    ``max_fit_iter`` as elsewhere, and a result worse than the start is
    never kept.  Training runs in the batch's own frame (centered for
    ``"euclidean"`` and ``"manhattan"``, scaled by a power of two,
    exactly), so data scaled by a power of two (any that float64 holds)
    train exactly as at scale 1:
    the same memory, scaled, ``beta_`` following the scale as ``"auto"``
    does, and the same predictions.  At other scales training starts from
    the same point (k-means, PCA and ``"auto"`` follow the scale) but the
    L-BFGS-B path is not scale invariant, so the memory agrees with the one
    at scale 1 only to the training's tolerance (on well-separated classes
    the same predictions; ``beta_`` and the patterns measured up to about
    10% apart at scale 3).

    The training sees the attention of the cue itself, the read-out of
    :meth:`predict_proba` with ``max_iter=1``: with ``max_iter > 1``,
    :meth:`predict_proba` reads the labels after ``max_iter - 1`` update
    steps that the training did not take into account.

    :meth:`partial_fit` of a learned prototype memory is an incremental
    step that keeps what was learned.  Classes seen for the first time get
    k-means prototypes from the batch as in :meth:`fit` (as do classes
    still short of ``prototypes_per_class``), then L-BFGS-B (at most
    ``max_fit_iter`` iterations, warm-started from the current prototypes,
    ``beta`` and ``W``) minimizes the loss on the batch *together with a
    rehearsal* of the earlier batches: at most 100 rows per class, kept as
    a uniform sample of the class's rows seen (reservoir sampling, seeded by
    ``random_state``), each weighing the rows of its class seen so far
    (``class_count_``) over the rows kept.  Every class thus weighs in the
    loss what it weighs in a fit on all the rows, and the penalty's center
    and scale are those of all the rows seen, so the objective is a fit on
    everything whose earlier part is summarized by a bounded sample: the
    cost of a call grows with the batch and the number of classes, not with
    the rows seen.  A fit on the batch alone would erase the old classes
    (iris fitted on two classes, then given the third: 0% on the first
    two); with the rehearsal, streams of one class per call or of shuffled
    batches ended within 0.024 of a fit on everything (digits, three
    seeds; equal on iris and wine, whose classes fit in the rehearsal).
    While the rows at hand hold a single class the loss is constant and
    nothing is trained (the prototypes are the k-means centres).  With
    ``prototypes_per_class=None`` the batch's rows are appended and
    ``beta``/``W`` trained, warm-started, on the leave-one-out loss of
    every stored row: the memory is the rows themselves, so this is
    :meth:`fit` on all of them.

    References
    ----------
    H. Ramsauer, B. Schäfl, J. Lehner, P. Seidl, M. Widrich, T. Adler,
    L. Gruber, M. Holzleitner, M. Pavlović, G. K. Sandve, V. Greiff,
    D. Kreil, M. Kopp, G. Klambauer, J. Brandstetter, S. Hochreiter (2020).
    Hopfield Networks is All You Need. arXiv:2008.02217 (ICLR 2021).

    S. Seo, K. Obermayer (2003). Soft learning vector quantization. Neural
    Computation 15(7), 1589-1604.

    J. Goldberger, S. Roweis, G. Hinton, R. Salakhutdinov (2004).
    Neighbourhood components analysis. NeurIPS 17.

    D. Krotov, J. J. Hopfield (2016). Dense associative memory for pattern
    recognition. NeurIPS.

    A. Martins, R. Astudillo (2016). From softmax to sparsemax: a sparse
    model of attention and multi-label classification. ICML.

    B. Peters, V. Niculae, A. Martins (2019). Sparse sequence-to-sequence
    models. ACL.

    B. Millidge, T. Salvatori, Y. Song, T. Lukasiewicz, R. Bogacz (2022).
    Universal Hopfield networks. ICML.

    J. Hu, D. Yang, D. Wu, C. Xu, B.-Y. Chen, H. Liu (2023). On sparse
    modern Hopfield model. NeurIPS.

    M. Santos, V. Niculae, D. McNamee, A. Martins (2024). Sparse and
    structured Hopfield networks. ICML.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skhopfield import ModernHopfieldClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), ModernHopfieldClassifier())
    >>> clf.fit(X[::2], y[::2]).score(X[1::2], y[1::2]) > 0.9
    True
    >>> proba = clf.predict_proba(X[1::2])
    >>> proba.shape, bool(abs(proba.sum(axis=1) - 1).max() < 1e-12)
    ((75, 3), True)

    A learned memory of two patterns per class:

    >>> learned = make_pipeline(
    ...     StandardScaler(),
    ...     ModernHopfieldClassifier(prototypes_per_class=2, beta="learn", random_state=0),
    ... )
    >>> learned.fit(X[::2], y[::2]).score(X[1::2], y[1::2]) > 0.9
    True
    >>> learned[-1].patterns_.shape
    (6, 4)

    A sparse attention: the patterns of nonzero weight are its support.

    >>> sparse = ModernHopfieldClassifier(separation="sparsemax").fit(X[::2], y[::2])
    >>> weights, indices = sparse.kpatterns(X[1:2], n_patterns=3)
    >>> bool(weights[0, 0] > 0) and bool((weights[0, :-1] >= weights[0, 1:]).all())
    True
    """

    _parameter_constraints: dict = {
        "beta": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"auto", "learn"}),
        ],
        "similarity": _BaseModernMemory._parameter_constraints["similarity"],
        "separation": _BaseModernMemory._parameter_constraints["separation"],
        "entmax_alpha": _BaseModernMemory._parameter_constraints["entmax_alpha"],
        "separation_order": _BaseModernMemory._parameter_constraints[
            "separation_order"
        ],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "prototypes_per_class": [
            Interval(Integral, 1, None, closed="left"),
            "array-like",
            None,
        ],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_fit_iter": [Interval(Integral, 1, None, closed="left")],
        "fit_tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": N_JOBS_CONSTRAINT,
        "verbose": VERBOSE_CONSTRAINT,
    }

    def __init__(
        self,
        beta="auto",
        *,
        similarity="euclidean",
        separation="softmax",
        entmax_alpha=1.5,
        separation_order=2,
        max_iter=1,
        tol=1e-4,
        prototypes_per_class=None,
        n_components=None,
        alpha=3e-3,
        max_fit_iter=1000,
        fit_tol=1e-5,
        random_state=None,
        n_jobs=None,
        verbose=0,
    ):
        self.beta = beta
        self.similarity = similarity
        self.separation = separation
        self.entmax_alpha = entmax_alpha
        self.separation_order = separation_order
        self.max_iter = max_iter
        self.tol = tol
        self.prototypes_per_class = prototypes_per_class
        self.n_components = n_components
        self.alpha = alpha
        self.max_fit_iter = max_fit_iter
        self.fit_tol = fit_tol
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    # -- storing ----------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Store the rows of ``X`` as patterns with labels ``y``, or learn a memory.

        With ``prototypes_per_class``, ``beta="learn"`` or ``n_components``
        the memory is trained on ``(X, y)`` (see *Learned memories* in the
        class notes).

        A failed fit (invalid input or parameters) raises and leaves the
        classifier as it was: fitted with its previous patterns, or unfitted.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_patterns, n_features)
            Patterns (float32 is kept as float32).  A ``scipy.sparse``
            matrix is stored as CSR and stays sparse (see Notes).  Dense
            rows may have missing entries (NaN; see "Partial cues and
            imputation" in the user guide).
        y : array-like of shape (n_patterns,)
            Labels: all numbers or all strings (a mix is refused, as is NaN).
        sample_weight : array-like of shape (n_patterns,), default=None
            Non-negative prior weight of each pattern (``None``: all 1).
            The attention becomes ``w_mu exp(beta z_mu) / sum_nu w_nu
            exp(beta z_nu)``: a weight of 2 attracts exactly as the pattern
            stored twice, and a weight of 0 drops the pattern (it is not
            stored).  ``beta="auto"`` uses the weighted variance.  A learned
            memory takes whole numbers only, counting a row ``k`` times in
            the loss (prototypes train on the rows in a canonical order, so
            the result does not depend on how they were ordered).

        Returns
        -------
        self : object
            The fitted memory.
        """
        with restore_on_error(self):
            # What a learned fit sets beyond the stored memory: gone unless
            # this fit sets it again.
            for attr in (
                "components_", "_components64", "_learned_mode", "class_count_",
                "_seen", "_rehearsal_X", "_rehearsal_y",
            ):
                if hasattr(self, attr):
                    delattr(self, attr)
            return self._store(
                X, y, classes=None, reset=True, sample_weight=sample_weight
            )

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Store more patterns, keeping those already stored.

        ``fit(A)`` then ``partial_fit(B)`` gives the same memory as
        ``fit(A ∪ B)`` (with ``beta="auto"`` re-resolved over all patterns).
        A learned memory instead takes an incremental training step on
        ``(X, y)`` together with a rehearsal of the rows seen before, so
        that what it learned is kept (see *Learned memories* in the class
        notes).
        Labels must be of the same kind (strings or numbers) as those stored
        before; a failed call raises and leaves the classifier as it was.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_patterns, n_features)
            New patterns.
        y : array-like of shape (n_patterns,)
            Their labels.  New labels add new classes.
        classes : array-like of shape (n_classes,), default=None
            All classes that will ever be seen; optional.  When given, it
            fixes ``classes_`` and every label must belong to it.
        sample_weight : array-like of shape (n_patterns,), default=None
            Prior weights of the new patterns, as in :meth:`fit`.

        Returns
        -------
        self : object
            The updated memory.
        """
        with restore_on_error(self):
            return self._store(
                X,
                y,
                classes=classes,
                reset=not hasattr(self, "patterns_"),
                sample_weight=sample_weight,
            )

    def _store(self, X, y, classes, reset, sample_weight=None):
        # Always, not only on the first call: set_params may have changed a
        # parameter since (partial_fit and retrieval read them).
        self._validate_params()
        start = time.perf_counter()
        # Labels and weights are bookkept on the host (a few numbers per
        # pattern); under array API dispatch the patterns and all the work
        # stay in X's namespace, on its device.
        y, classes, sample_weight = _host(y), _host(classes), _host(sample_weight)
        check_label_types(y)
        xp, _, dev = get_namespace_and_device(X)
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=[xp.float64, xp.float32],
            y_numeric=False,
            accept_sparse="csr",
            ensure_all_finite="allow-nan",
        )
        self._check_missing(X, "X", fitting=True)
        check_classification_targets(y)
        y = np.asarray(y)
        host = _is_host(X)
        if not reset:
            check_same_label_kind(y, _host(self.pattern_labels_))
        if not host and self._learns():
            raise ValueError(
                "Learned memories (prototypes_per_class, beta='learn', "
                "n_components) train with numpy and scipy only: fit them on "
                "numpy arrays, without array API dispatch."
            )
        X, y, weights = self._positive_rows(X, y, sample_weight, reset)
        if self._learns():
            # Learned memories train on dense rows, and take whole-number
            # weights as repeated rows: the mean loss over the repeated rows
            # is the weighted mean loss.
            if (weights != np.round(weights)).any():
                raise ValueError(
                    "A learned memory (prototypes_per_class, beta='learn' or "
                    "n_components) takes whole-number sample weights only: a "
                    "weight k counts the row k times in the loss. Round the "
                    "weights, or store without learning."
                )
            if not (weights == 1).all():
                copies = whole_copies(weights, X.shape[1], "A learned memory")
                rows = np.repeat(np.arange(X.shape[0]), copies)
                X, y = X[rows], y[rows]
            if sp.issparse(X):
                X = X.toarray()
            if self.prototypes_per_class is not None:
                # Prototypes: train on the rows in one canonical order, so
                # that the k-means start and the loss's sums do not depend on
                # how the rows were ordered (weight k == k copies anywhere).
                _, y_rank = np.unique(y, return_inverse=True)
                order = np.lexsort((*np.asarray(X).T[::-1], y_rank))
                X, y = X[order], y[order]
        patterns = self._stacked(X, reset)
        labels = y if reset else np.concatenate([_host(self.pattern_labels_), y])
        # update_classes reads the fitted classes_: on the host, as the labels
        fitted = SimpleNamespace(
            _classes_fixed=getattr(self, "_classes_fixed", False),
            classes_=_host(getattr(self, "classes_", None)),
        )
        classes, fixed = update_classes(fitted, labels, y, classes, reset)
        self._classes_fixed = fixed
        if self._learns():
            # the whole training (k-means, PCA, L-BFGS-B, the new memory) on
            # one BLAS thread unless every row is stored and there are many
            with learned.training_threads(X.shape, self.prototypes_per_class is not None):
                return self._train(X, y, classes, reset, start)
        if not reset:
            weights = np.concatenate([_host(self.pattern_weights_), weights])
        if not host and labels.dtype.kind in "biuf":
            # as scikit-learn's array API classifiers: numeric labels in X's
            # namespace, on its device (strings stay numpy)
            labels = xp.asarray(labels, device=dev)
            classes = xp.asarray(classes, device=dev)
        # The fitted state is plain arrays and builtins (safe to persist with
        # skops.io): the scoring layout is rebuilt from them when needed.
        self._set_memory(
            patterns, weights=weights, pattern_labels_=labels, classes_=classes
        )
        self._report_fit(reset, start, X.shape[0], f"{classes.shape[0]} classes")
        return self

    # -- learning ---------------------------------------------------------------------
    def _learns(self):
        """Whether fit trains the memory (see "Learned memories" in the docstring)."""
        return (
            self.prototypes_per_class is not None
            or self.beta == "learn"
            or self.n_components is not None
        )

    def _mode(self):
        return (self.prototypes_per_class is None, self.n_components, self.similarity)

    def _per_class(self, classes, present):
        """Class index -> prototypes wanted, for the class indices ``present``."""
        k = self.prototypes_per_class
        if isinstance(k, Integral):
            return {int(c): int(k) for c in present}
        k = np.asarray(k)
        if k.shape != (len(classes),) or k.dtype.kind not in "iu" or (k < 1).any():
            raise ValueError(
                "prototypes_per_class must be a positive int or one positive int "
                f"per class ({len(classes)} classes, in the order of classes_), got "
                f"{self.prototypes_per_class!r}."
            )
        return {int(c): int(k[c]) for c in present}

    def _train(self, X, y, classes, reset, start):
        """Fit or continue training a learned memory on the batch ``(X, y)``."""
        label = f"{type(self).__name__}.{'fit' if reset else 'partial_fit'}"

        def progress(iteration, loss):
            if iteration % PROGRESS_EVERY == 0:
                report(
                    self.verbose,
                    label,
                    f"L-BFGS-B iteration {iteration}: loss {loss:.6g}, "
                    f"{time.perf_counter() - start:.2f} s",
                )

        if self.n_components is not None:
            if self.n_components > X.shape[1]:
                raise ValueError(
                    f"n_components={self.n_components} must be at most "
                    f"n_features={X.shape[1]}."
                )
        if not reset and getattr(self, "_learned_mode", None) != self._mode():
            raise ValueError(
                "partial_fit continues training the memory learned by fit with the "
                "same prototypes_per_class (None or not), n_components and "
                "similarity; these changed since. Call fit instead."
            )
        dtype = X.dtype if reset else self.patterns_.dtype
        # Train in the batch's own frame (centered for "euclidean", scaled by
        # a power of two, exactly; see _core.scoring.frame), so that data
        # scaled by any power of two float64 holds train exactly as at scale
        # 1; beta scales as 4**k.
        # ("cosine" is scale free: its rows are scaled too, for the PCA and
        # k-means, but its beta is not.)
        cosine = self.similarity == "cosine"
        # partial_fit: one frame for the batch, the current memory and the
        # rehearsal rows
        framed = X
        if not reset:
            kept = getattr(self, "_rehearsal_X", np.zeros((0, X.shape[1])))
            framed = np.vstack([X, self.patterns_, kept])
        center0, k = frame(
            np.asarray(framed, dtype=np.float64), "dot" if cosine else self.similarity
        )
        kb = 0 if cosine else k
        # scores scale as the data squared ("manhattan": as the data), beta
        # as their inverse
        power = 1 if self.similarity == "manhattan" else 2
        Xf = learned.to_frame(X, center0, k)
        y_idx = np.searchsorted(classes, y)
        rng = check_random_state(self.random_state)
        store_rows = self.prototypes_per_class is None
        # the training rows: the batch, and for partial_fit what the memory
        # already holds (see _rehearsal)
        Q, q_idx, q_weight = Xf, y_idx, None
        counts = np.bincount(y_idx, minlength=len(classes)).astype(np.float64)
        if reset:
            components = (
                None
                if self.n_components is None
                else learned.pca_components(Xf, self.n_components)
            )
            if store_rows:
                V, v_idx = Xf, y_idx
            else:
                per_class = self._per_class(classes, np.unique(y_idx))
                V, v_idx = learned.kmeans_prototypes(Xf, y_idx, per_class, rng)
            if isinstance(self.beta, str):
                mapped = Xf if components is None else Xf @ components.T
                if self.similarity == "cosine":
                    mapped = unit_rows(mapped)
                if self.similarity == "manhattan":  # as "auto" stored
                    spread = ModernMemory(mapped, "manhattan", frame_=(None, 0))
                    total_var = spread.score_spread()
                else:
                    total_var = float(np.var(mapped, axis=0).sum())
                beta = AUTO_BETA_SCALE / total_var if total_var > 0 else 1.0
            else:
                beta = float(_ldexp(float(self.beta), power * kb))
            self_index = np.arange(len(Xf)) if store_rows else None
        else:
            components = getattr(self, "components_", None)
            if components is not None:
                components = components.astype(np.float64)
            V = learned.to_frame(self.patterns_, center0, k)
            v_idx = np.searchsorted(classes, self.pattern_labels_)
            if isinstance(self.beta, str):
                # the current internal beta, moved from the memory's frame
                beta = float(_ldexp(self._scaled_beta, power * (kb - self._memory.exponent)))
            else:
                beta = float(_ldexp(float(self.beta), power * kb))
            if store_rows:
                # Every stored row is the memory: beta and W train on the
                # leave-one-out loss of all of them, old and new (warm start).
                V, v_idx = np.vstack([V, Xf]), np.concatenate([v_idx, y_idx])
                Q, q_idx = V, v_idx
                self_index = np.arange(len(V))
            else:
                Q, q_idx, q_weight, seen = self._rehearsal(Xf, y_idx, classes, center0, k)
                counts += seen
                # Classes seen for the first time get their own prototypes,
                # and classes with fewer than wanted (too few distinct rows
                # so far) more, from their rows at hand.
                present = np.unique(y_idx)
                have = np.bincount(v_idx, minlength=len(classes))
                wanted = self._per_class(classes, present)
                more = {c: n - have[c] for c, n in wanted.items() if n > have[c]}
                if more:
                    V_new, idx_new = learned.kmeans_prototypes(Q, q_idx, more, rng)
                    V, v_idx = np.vstack([V, V_new]), np.concatenate([v_idx, idx_new])
                    order = np.argsort(v_idx, kind="stable")  # grouped by class
                    V, v_idx = V[order], v_idx[order]
                self_index = None
        # Every row stored: a row is left out together with its identical
        # copies (whole-number weights are repeated rows), so weight k, k
        # copies and weight 1 train alike when all weights are equal.
        groups = duplicate_groups(V)[0] if store_rows else None
        # The penalty's center and scale: the mean and total variance of
        # what it weighs (the training rows; for "cosine" their mapped unit
        # vectors), over every row seen so far.
        if self.similarity == "cosine":
            weighed = unit_rows(Xf if components is None else Xf @ components.T)
        else:
            weighed = Xf
        center, scale = self._seen_moments(weighed, reset, center0, k)
        # With a map, "euclidean" and "dot" logits depend on beta W^T W
        # only: (W, beta) and (s W, beta / s^2) are one memory.  The scale
        # is learned once, in W; beta stays where it started.
        learn_beta = self.beta == "learn" and (
            components is None or self.similarity == "cosine"
        )
        # One class in the training rows: the loss is 0 whatever the
        # parameters, and the penalty alone would shrink them; nothing to
        # learn yet (a class-incremental stream's first call).
        one_class = np.unique(q_idx).size < 2
        V, components, beta, n_iter, converged = (V, components, beta, 0, True) if (
            one_class and not store_rows
        ) else learned.train(
            Q,
            q_idx,
            V,
            v_idx,
            beta,
            components=components,
            similarity=self.similarity,
            learn_patterns=not store_rows,
            learn_beta=learn_beta,
            self_index=self_index,
            groups=groups,
            sample_weight=q_weight,
            max_iter=self.max_fit_iter,
            tol=self.fit_tol,
            alpha=0.0 if store_rows else self.alpha,
            center=center if self.similarity in ("euclidean", "manhattan") else None,
            scale=scale if scale > 0 else 1.0,
            callback=progress if self.verbose >= 2 else None,
            separation=self._separation(),
        )
        if not converged:
            warnings.warn(
                f"ModernHopfieldClassifier: L-BFGS-B stopped after max_fit_iter="
                f"{self.max_fit_iter} iterations without converging; increase "
                "max_fit_iter.",
                ConvergenceWarning,
            )
        # A copy: patterns_ must not alias the caller's array.
        if store_rows:
            patterns = X.copy() if reset else np.vstack([self.patterns_, X.astype(dtype)])
        else:
            patterns = learned.from_frame(V, center0, k).astype(dtype)
        self._keep_memory(patterns, components, None)
        memory = self._memory
        if components is not None:
            self.components_ = memory.components
        self.pattern_labels_ = classes[v_idx]
        self.classes_ = classes
        # beta in the data's units (inf or 0 beyond float64's range, as for
        # "auto"), and exactly in the memory's frame for the computations
        self.beta_ = float(_ldexp(beta, -power * kb))
        self._scaled_beta = float(_ldexp(beta, power * (memory.exponent - kb)))
        self.max_norm_ = memory.data_max_norm
        _check_magnitude(memory, 1.0, self._scaled_beta, memory.aug)
        self.n_iter_ = max(n_iter, 1)
        self._learned_mode = self._mode()
        if not store_rows:
            self._keep_rehearsal(X, y, reset, rng)
            self.class_count_ = counts
        report(
            self.verbose,
            label,
            f"learned {len(patterns)} patterns x {patterns.shape[1]} features "
            f"({len(classes)} classes) from {len(X)} samples: {n_iter} L-BFGS-B "
            f"iterations in {time.perf_counter() - start:.2f} s; "
            f"beta_={self.beta_:.4g}",
        )
        return self

    def _rehearsal(self, Xf, y_idx, classes, center0, k):
        """The rows a learned prototype memory's partial_fit trains on.

        The batch (weight 1 each), and the rehearsal rows kept from the
        earlier batches (at most :data:`REHEARSAL_ROWS` per class, a uniform
        sample of the class's rows seen so far), each weighing the number of
        rows of its class seen so far over the number kept, so that every
        class weighs what it weighed in a fit on all the rows.  Returns the
        rows (in the frame ``(center0, k)``), their class indices over
        ``classes``, their weights and the counts seen before the batch.
        """
        seen = np.zeros(len(classes))
        seen[np.searchsorted(classes, _host(self.classes_))] = self.class_count_
        R = learned.to_frame(self._rehearsal_X, center0, k)
        r_idx = np.searchsorted(classes, self._rehearsal_y)
        kept = np.bincount(r_idx, minlength=len(classes))
        weight = seen[r_idx] / kept[r_idx]
        Q = np.vstack([Xf, R])
        q_idx = np.concatenate([y_idx, r_idx])
        q_weight = np.concatenate([np.ones(len(Xf)), weight])
        return Q, q_idx, q_weight, seen

    def _keep_rehearsal(self, X, y, reset, rng):
        """Update the rehearsal rows with the batch ``(X, y)`` (data units).

        Per class, reservoir sampling (Vitter's algorithm R): the kept rows
        stay a uniform sample of all the class's rows seen, at most
        :data:`REHEARSAL_ROWS` of them (:meth:`fit` draws that sample
        directly).
        """
        X = np.asarray(X, dtype=np.float64)
        if reset:
            # a uniform sample of each class's rows, as the reservoir keeps
            keep = []
            for c in np.unique(y):
                mine = np.flatnonzero(y == c)
                if len(mine) > REHEARSAL_ROWS:
                    mine = np.sort(rng.choice(mine, REHEARSAL_ROWS, replace=False))
                keep.append(mine)
            keep = np.concatenate(keep) if keep else np.zeros(0, dtype=np.intp)
            self._rehearsal_X, self._rehearsal_y = X[keep], y[keep]
            return
        seen = dict(zip(_host(self.classes_).tolist(), self.class_count_.tolist()))
        rows, labels = list(self._rehearsal_X), list(self._rehearsal_y)
        slots = {}
        for i, c in enumerate(labels):
            slots.setdefault(c, []).append(i)
        for x, c in zip(X, y):
            t = int(seen.get(c, 0)) + 1
            seen[c] = t
            mine = slots.setdefault(c, [])
            if len(mine) < REHEARSAL_ROWS:
                mine.append(len(rows))
                rows.append(x)
                labels.append(c)
            else:
                j = rng.randint(t)
                if j < REHEARSAL_ROWS:
                    rows[mine[j]] = x
        self._rehearsal_X = np.array(rows, dtype=np.float64).reshape(-1, X.shape[1])
        self._rehearsal_y = np.asarray(labels) if labels else y[:0]

    def _seen_moments(self, rows, reset, center0, k):
        """Mean and total variance of every training row seen (frame units).

        ``rows`` are the batch's (in the frame ``(center0, k)``, or unit
        vectors for ``"cosine"``); partial_fit combines them with the
        moments kept from the earlier batches (Chan et al.'s pairwise
        update), so the penalty is the one a fit on all the rows would
        use.  Kept as (count, mean, variance) in the data's units: the
        mean as data, the variance as a float times ``4**e``.
        """
        n_b = len(rows)
        mean = rows.mean(axis=0)
        var = float(np.var(rows, axis=0).sum()) if n_b > 1 else 0.0
        cosine = self.similarity == "cosine"
        kv = 0 if cosine else k
        prior = None if reset else getattr(self, "_seen", None)
        if prior is not None and prior["n"] > 0:
            n_a = prior["n"]
            mean_a = np.asarray(prior["mean"], dtype=np.float64)
            if not cosine:
                mean_a = learned.to_frame(mean_a, center0, k)
            var_a = float(_ldexp(prior["var"], 2 * (prior["exponent"] - kv)))
            n = n_a + n_b
            d = mean - mean_a
            var = (n_a * var_a + n_b * var) / n + n_a * n_b / n**2 * float(d @ d)
            mean = (n_a * mean_a + n_b * mean) / n
            n_b = n
        self._seen = {
            "n": float(n_b),
            "mean": mean if cosine else learned.from_frame(mean, center0, k),
            "var": var,
            "exponent": kv,
        }
        return mean, var

    # -- retrieving -------------------------------------------------------------------
    def _class_scores(self, X, normalize):
        check_is_fitted(self)
        labels, classes = self.pattern_labels_, self.classes_
        if isinstance(labels, np.ndarray):
            idx = np.searchsorted(_host(classes), labels)
            onehot = np.zeros((len(idx), len(classes)))
            onehot[np.arange(len(idx)), idx] = 1
        else:  # built where the labels are (the device), no transfer
            xp, dev = _ns(labels), _device(labels)
            idx = xp.searchsorted(_move(classes, labels), labels)
            columns = xp.arange(classes.shape[0], dtype=idx.dtype, device=dev)
            onehot = xp.astype(idx[:, None] == columns[None, :], _hi(labels))
        return self._readout(
            X,
            onehot,
            "sum" if normalize else None,
            "predict_proba" if normalize else "predict",
        )

    def predict_proba(self, X):
        """Hetero-associative retrieval: attention summed per class.

        After ``max_iter - 1`` state updates, the attention
        ``softmax(beta_ z)`` (or the ``separation``'s weights) of the final
        step over the stored patterns, summed over the patterns of each
        class.  With a sparse ``separation`` a probability can be exactly 0.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Cues; NaN marks a missing entry (a partial cue, see "Partial
            cues and imputation" in the user guide).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to one; columns follow ``classes_``.
        """
        return self._class_scores(X, normalize=True)

    def predict(self, X):
        """The class with the largest attention (argmax of :meth:`predict_proba`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Cues; NaN marks a missing entry (a partial cue, see "Partial
            cues and imputation" in the user guide).

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Predicted labels, elements of ``classes_``.
        """
        scores = self._class_scores(X, normalize=False)
        if isinstance(scores, np.ndarray):
            return _host(self.classes_)[np.argmax(scores, axis=1)]
        xp = _ns(scores)
        idx = xp.argmax(scores, axis=1)
        classes = self.classes_
        if isinstance(classes, np.ndarray):
            return classes[_host(idx)]  # string labels stay numpy
        return xp.take(_move(classes, scores), idx, axis=0)

    def score(self, X, y, sample_weight=None):
        """Accuracy of :meth:`predict` against ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Cues; NaN marks a missing entry (a partial cue, see "Partial
            cues and imputation" in the user guide).
        y : array-like of shape (n_samples,)
            True labels: all numbers or all strings.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Mean accuracy.
        """
        check_label_types(_host(y))
        return super().score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The learned memories' training (L-BFGS-B, scipy) is numpy only.
        tags.array_api_support = not self._learns() and self.similarity != "manhattan"
        tags.input_tags.allow_nan = tags.input_tags.allow_nan and not self._learns()
        return tags
