"""Input checks shared by every estimator (beyond sklearn's ``validate_data``)."""

from contextlib import contextmanager
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import validate_data as _sklearn_validate_data

#: ``_parameter_constraints`` entry of ``n_jobs``: ``None``, a positive count
#: or a negative one counted from the number of CPUs (``-1`` all of them).
#: ``0`` is refused when the parameters are validated, not later by joblib
#: (and only when a batch happens to be large enough to run in parallel).
N_JOBS_CONSTRAINT = [
    Interval(Integral, 1, None, closed="left"),
    Interval(Integral, None, -1, closed="right"),
    None,
]

#: ``_parameter_constraints`` entry of ``verbose``: an int (or bool), as in
#: scikit-learn.  What each level prints is the engine's (``_batch.py``).
VERBOSE_CONSTRAINT = ["verbose"]


def check_label_types(y, name="y"):
    """Reject pattern labels that would be silently changed or break later.

    Checked on the labels as the user gave them, before numpy converts them:
    ``np.asarray([1, "a"])`` silently turns the number into the string
    ``"1"``, and an object array mixing strings and numbers cannot be
    sorted, compared or scored.  Labels must be all strings or all
    non-strings, and contain no NaN.  ``name`` is the argument named in the
    message (``"y"``, ``"classes"``).

    Raises
    ------
    ValueError
        Naming the problem.
    """
    if y is None:
        return
    dtype = getattr(y, "dtype", None)
    if dtype is not None and dtype != object:
        if dtype.kind in "fc" and np.isnan(np.asarray(y)).any():
            raise ValueError(
                f"{name} contains NaN; every stored pattern needs a label."
            )
        return
    values = np.asarray(y, dtype=object).ravel()
    is_str = [isinstance(v, str) for v in values]
    if any(is_str) and not all(is_str):
        kinds = sorted({type(v).__name__ for v in values})
        raise ValueError(
            f"Mix of label input types (string and number) in {name}: "
            f"got {', '.join(kinds)}. Labels must be all strings or all numbers."
        )
    if any(isinstance(v, float) and v != v for v in values):
        raise ValueError(f"{name} contains NaN; every stored pattern needs a label.")


def drop_zero_weights(X, y, weights, *, first):
    """``(X, y, weights)`` without the rows of zero weight.

    A weight of 0 means the row is not there at all, as scikit-learn's
    sample-weight convention asks (equivalent to removing the sample).  All
    weights zero is an error on a first fit (nothing would be stored); on a
    later ``partial_fit`` it stores nothing.
    """
    keep = weights > 0
    if keep.all():
        return X, y, weights
    if first and not keep.any():
        raise ValueError(
            "All sample weights are zero: there is nothing to store. Give at "
            "least one pattern a positive weight."
        )
    return X[keep], (None if y is None else y[keep]), weights[keep]


def validate_data(_estimator, /, X="no_validation", y="no_validation", **kwargs):
    """scikit-learn's ``validate_data``, refusing strings by name first.

    With ``dtype=np.float64`` scikit-learn converts ``X`` with numpy, which
    turns numeric strings (``"1"``) into numbers and fails on the others with
    its bare "could not convert string to float".  Every memory needs
    numbers, so strings in ``X`` (or in a 2-D ``y``: the BAM's patterns, the
    regressor's targets) are an error that says so and what to do.  1-D
    ``y`` are labels, where strings are fine.
    """
    if not isinstance(X, str):
        X = _refuse_strings(_estimator, X, "X")
    if not isinstance(y, str) and y is not None and _ndim(y) == 2:
        y = _refuse_strings(_estimator, y, "y")
    return _sklearn_validate_data(_estimator, X, y, **kwargs)


def _ndim(a):
    """``a.ndim``, also for array-likes that refuse numpy's functions."""
    ndim = getattr(a, "ndim", None)
    if ndim is None and not sp.issparse(a):
        try:
            ndim = np.asarray(a).ndim
        except (ValueError, TypeError):
            return None
    return ndim


def _first_string(values):
    """The first ``str`` or ``bytes`` in an object array, or None."""
    for value in values.ravel():
        if isinstance(value, (str, bytes)):
            return value
    return None


def _refuse_strings(estimator, X, name):
    """``X`` (as an array where it was a list), or an error naming its strings."""
    if X is None or sp.issparse(X):
        return X
    if hasattr(X, "dtypes") and hasattr(X, "columns"):  # a DataFrame
        found = None
        for column, dtype in X.dtypes.items():
            if getattr(dtype, "kind", "O") in "OUS":
                found = _first_string(np.asarray(X[column], dtype=object))
                if found is not None:
                    break
    else:
        if not isinstance(X, np.ndarray):
            if hasattr(X, "__array_namespace__") or hasattr(X, "dtype"):
                return X  # another array library: no strings there
            try:
                X = np.asarray(X)
            except (ValueError, TypeError):
                return X  # ragged and the like: scikit-learn says what is wrong
        if X.dtype.kind in "US":
            found = X.ravel()[0] if X.size else ""
        elif X.dtype.kind == "O":
            found = _first_string(X)
        else:
            return X
    if found is None:
        return X
    if isinstance(found, np.generic):
        found = found.item()
    raise ValueError(
        f"{type(estimator).__name__} needs numbers in {name}, but {name} holds "
        f"strings (such as {found!r}). Encode them as numbers first, e.g. with "
        "sklearn.preprocessing.OneHotEncoder or OrdinalEncoder in a Pipeline."
    )


def whole_copies(weights, n_features, estimator):
    """Whole-number sample weights as copy counts (``np.repeat``'s ``repeats``).

    A memory that takes a weight ``k`` as ``k`` copies of its row builds an
    array of ``weights.sum()`` rows of ``n_features`` numbers, so the weights
    must sum to at most the rows one numpy array can index
    (``np.iinfo(np.intp).max`` bytes in all): refused above that with a
    message that names the limit, where the cast to an integer count would
    otherwise wrap around (``1e300`` becomes a negative count).  Below it,
    an array too large for the machine's memory is numpy's ``MemoryError``,
    which gives its size.  ``weights`` are finite, non-negative and whole.
    """
    weights = np.asarray(weights, dtype=np.float64)
    limit = np.iinfo(np.intp).max // (8 * max(int(n_features), 1))
    total = float(weights.sum())
    if not total <= limit:
        raise ValueError(
            f"{estimator} stores a pattern of sample weight k as k copies, so "
            f"the weights may sum to at most {limit:,} copies of {n_features} "
            f"features (the rows one numpy array can index); they sum to "
            f"{total:.6g}."
        )
    return weights.astype(np.intp)


def _is_string_kind(values):
    """True for labels that are strings, False for numbers (already checked
    not to mix the two by :func:`check_label_types`)."""
    arr = np.asarray(values)
    if arr.dtype.kind in "USa":
        return True
    if arr.dtype == object:
        return any(isinstance(v, str) for v in arr.ravel())
    return False


def check_same_label_kind(y, previous, name="y", previous_name="the labels stored earlier"):
    """Refuse labels whose kind (string or number) differs from ``previous``.

    :func:`check_label_types` refuses a mix inside one call; this holds the
    same rule across calls of ``partial_fit``, where ``np.concatenate``
    would otherwise turn ``[1, 2]`` and ``["a", "b"]`` into
    ``['1', '2', 'a', 'b']`` without a word.  Empty inputs have no kind.

    Raises
    ------
    ValueError
        Naming both kinds.
    """
    if y is None or previous is None or np.size(y) == 0 or np.size(previous) == 0:
        return
    new, old = _is_string_kind(y), _is_string_kind(previous)
    if new != old:
        kind = {True: "strings", False: "numbers"}
        raise ValueError(
            f"Mix of label input types across calls: {name} holds {kind[new]} "
            f"but {previous_name} are {kind[old]}. Labels must be all strings "
            "or all numbers."
        )


def update_classes(est, labels, y, classes, reset):
    """``classes_`` after storing labels ``y`` (all stored labels: ``labels``).

    ``classes`` is the optional argument of ``partial_fit``: all classes that
    will ever be seen.  Given, it fixes ``classes_`` (sorted) from then on,
    must equal the ``classes_`` fixed by an earlier call, must be of the same
    kind as the labels, and every label must belong to it.  Otherwise
    ``classes_`` is the sorted set of stored labels (or stays fixed).  Every
    stored label must belong to ``classes_``.  Reads
    ``est.classes_`` and ``est._classes_fixed`` but changes nothing; returns
    ``(classes_, fixed)``.

    Raises
    ------
    ValueError
        When ``classes`` conflicts with the labels or with earlier calls.
    """
    fixed = getattr(est, "_classes_fixed", False) and not reset
    if classes is not None:
        check_label_types(classes, name="classes")
        classes = np.unique(np.asarray(classes))
        check_same_label_kind(classes, labels, name="classes", previous_name="the labels")
        if not reset and fixed and not np.array_equal(classes, est.classes_):
            raise ValueError(
                f"classes={classes!r} differs from the classes_ fixed earlier "
                f"{est.classes_!r}."
            )
        fixed = True
    elif fixed:
        classes = est.classes_
    else:
        classes = np.unique(labels)
    unknown = np.setdiff1d(np.unique(labels), classes)
    if unknown.size:
        raise ValueError(f"y contains labels not in classes: {unknown!r}.")
    return classes, fixed


@contextmanager
def restore_on_error(est):
    """Make a fit all or nothing: on any exception, put ``est`` back as it was.

    ``fit`` and ``partial_fit`` validate their input before they touch the
    fitted state, but ``validate_data(reset=True)`` already sets
    ``n_features_in_`` and ``feature_names_in_`` of the new input, and a
    later step (a learning rule, a self-check) may fail too.  The estimator's
    attributes are snapshotted (a shallow copy: fitted arrays are replaced,
    never modified in place) and restored, so a failed ``fit`` or
    ``partial_fit`` leaves the previous fitted state intact, or an unfitted
    estimator that raises ``NotFittedError``.
    """
    snapshot = dict(est.__dict__)
    try:
        yield
    except BaseException:
        est.__dict__.clear()
        est.__dict__.update(snapshot)
        raise


def check_pattern_labels(y):
    """Refuse continuous (regression) targets as pattern labels.

    As :func:`sklearn.utils.multiclass.check_classification_targets`, without
    its warning when most labels are distinct: a memory that gives every
    stored pattern a label of its own is the ordinary case, not a sign of a
    regression target.

    Raises
    ------
    ValueError
        "Unknown label type: ..." for continuous or unknown targets.
    """
    y_type = type_of_target(y, input_name="y")
    if y_type not in ("binary", "multiclass"):
        raise ValueError(
            f"Unknown label type: {y_type}. Pattern labels must be discrete "
            "classes (strings or integers), one per pattern, not continuous values."
        )
