"""oneDNN's convolutions through its C API (ctypes): an optional float32 accelerator.

oneDNN (Intel's Deep Neural Network Library, the library PyTorch's CPU convolutions run on)
JIT-compiles a direct convolution for the geometry and the CPU: no im2col copies and no
small-M GEMMs, which is where gradwork's NumPy path (ops/conv_gemm.py) loses at small channel
counts. The wheel `onednn-cpu-gomp==2023.2.0` (the extra `onednn`) ships `libdnnl.so.3`
(v3.2, GNU OpenMP, no headers); it is loaded here on first use from `<sys.prefix>/lib`, else
from the loader's path. Absent or failing → `available()` is False and `load_error()` says why;
the ops then stay on NumPy.

`Convolution` holds the three primitives of one geometry (forward, backward data, backward
weights; each created at its first use, since creating one JITs code and costs milliseconds)
over memory objects whose data handles are set to the caller's C-contiguous arrays on each
call. With `blocked=True` oneDNN chooses its own layouts (nChw16c, ...) and the caller's NCHW
/ OIHW arrays are reordered in and out on every call; weights change every step, so they are
reordered every call, but no primitive is re-created. oneDNN runs on the calling thread's
OpenMP team, whose size is set to `threads` before each call. libgomp is not fork-safe: a
forked child of a process that loaded it never uses it (`available()` is False there).
"""
import ctypes
import ctypes.util
import os
import sys
import threading
from collections import OrderedDict

from ..backend import np, workspace
from ..errors import GradworkError

# Values of oneDNN v3.2's C API enums and macros, from include/oneapi/dnnl/dnnl_common_types.h
# (dnnl_status_t, dnnl_data_type_t, dnnl_engine_kind_t) and include/oneapi/dnnl/dnnl_types.h
# (dnnl_format_tag_t, dnnl_prop_kind_t, dnnl_alg_kind_t, dnnl_query_t, DNNL_ARG_*) of
# oneapi-src/oneDNN (read in a 2024 v3.x version of the headers). The enums are checked against
# the loaded library's own names (`_verify`, dnnl_*2str) before any use; the query and argument
# ids by the tests, which compare every direction with PyTorch (on v3.2.0).
_STATUS = ("success", "out_of_memory", "invalid_arguments", "unimplemented",
           "last_impl_reached", "runtime_error", "not_required", "invalid_graph",
           "invalid_graph_op", "invalid_shape", "invalid_data_type")
_CPU = 1                                    # dnnl_cpu
_F32 = 3                                    # dnnl_f32
_TAG_ANY, _TAG_A, _TAG_ABCD, _TAG_ABCDE = 1, 2, 5, 6   # any, a (x), abcd (nchw/oihw), abcde (goihw)
_FORWARD_TRAINING, _BACKWARD_DATA, _BACKWARD_WEIGHTS = 64, 160, 192
_CONVOLUTION_DIRECT = 0x1
_QUERY_IMPL_INFO_STR = 8                    # dnnl_query_impl_info_str
_QUERY_MD = {"src": 129, "diff_src": 130, "weights": 131, "diff_weights": 132, "dst": 133,
             "diff_dst": 134}               # dnnl_query_src_md, ...
ARG = {"src": 1, "dst": 17, "weights": 33, "bias": 41, "diff_src": 129, "diff_dst": 145,
       "diff_weights": 161, "diff_bias": 169}               # DNNL_ARG_SRC, ...
_ARG_FROM, _ARG_TO = 1, 17                  # DNNL_ARG_FROM, DNNL_ARG_TO (reorders)
_Dims = ctypes.c_int64 * 12                 # dnnl_dims_t (DNNL_MAX_NDIMS = 12)


class OneDNNError(GradworkError, RuntimeError):
    """A oneDNN call that returned a status other than dnnl_success."""


class _ExecArg(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_int), ("memory", ctypes.c_void_p)]     # dnnl_exec_arg_t


_state = {"lib": None, "gomp": None, "engine": None, "stream": None, "error": None,
          "tried": False, "forked": False}
_lock = threading.RLock()           # loading and the cache
# One oneDNN call at a time in this process: the stream, the memory objects' data handles and,
# in oneDNN's default scratchpad mode, the scratchpad are shared (each call already uses the
# whole OpenMP team).
_run_lock = threading.Lock()


def _candidates():
    yield os.path.join(sys.prefix, "lib", "libdnnl.so.3")
    found = ctypes.util.find_library("dnnl")
    if found:
        yield found
    yield "libdnnl.so.3"


def _verify(lib):
    """The enum values above, as the loaded library names them."""
    for fn, value, name in (("dnnl_status2str", 3, "unimplemented"), ("dnnl_dt2str", _F32, "f32"),
                            ("dnnl_fmt_tag2str", _TAG_ABCD, "abcd"),
                            ("dnnl_fmt_tag2str", _TAG_ABCDE, "abcde"),
                            ("dnnl_fmt_tag2str", _TAG_ANY, "any"),
                            ("dnnl_prop_kind2str", _BACKWARD_DATA, "backward_data"),
                            ("dnnl_prop_kind2str", _BACKWARD_WEIGHTS, "backward_weights"),
                            ("dnnl_alg_kind2str", _CONVOLUTION_DIRECT, "convolution_direct"),
                            ("dnnl_engine_kind2str", _CPU, "cpu")):
        getattr(lib, fn).restype = ctypes.c_char_p
        got = getattr(lib, fn)(value)
        if got is None or got.decode() != name:
            raise OneDNNError(f"libdnnl: {fn}({value}) is {got!r}, expected {name!r}: not the "
                              f"v3.2 C API this binding was written for")


def _open(path):
    """ctypes.CDLL(path) with OpenMP's waiting threads asleep, not spinning: libgomp reads
    OMP_WAIT_POLICY once, when it is loaded (here, unless PyTorch loaded it first, or the
    user set the variable). Spinning, oneDNN's idle team kept a core busy for milliseconds
    after each call, the core gradwork's pool and OpenBLAS needed next: W2's step at 2 threads
    measured 1.35–1.63× the NumPy path's time spinning, 0.67–0.68× passive (load ≈ 4.5)."""
    unset = "OMP_WAIT_POLICY" not in os.environ
    if unset:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        return ctypes.CDLL(path)
    finally:
        if unset:                   # PyTorch's own libgomp, loaded later, reads its default
            del os.environ["OMP_WAIT_POLICY"]


def _load():
    """The library, engine and stream; loaded once (None and `load_error()` on failure)."""
    with _lock:
        if _state["tried"]:
            return _state["lib"]
        _state["tried"] = True
        errors = []
        for path in _candidates():
            try:
                lib = _open(path)
                break
            except OSError as error:
                errors.append(f"{path}: {error}")
        else:
            _state["error"] = "libdnnl.so.3 not found (" + "; ".join(errors) + ")"
            return None
        try:
            _verify(lib)
            for name in ("dnnl_primitive_desc_query_md",):
                getattr(lib, name).restype = ctypes.c_void_p
            lib.dnnl_memory_desc_equal.restype = ctypes.c_int
            lib.dnnl_memory_desc_get_size.restype = ctypes.c_size_t
            engine, stream = ctypes.c_void_p(), ctypes.c_void_p()
            _check(lib.dnnl_engine_create(ctypes.byref(engine), _CPU, ctypes.c_size_t(0)),
                   "dnnl_engine_create")
            _check(lib.dnnl_stream_create(ctypes.byref(stream), engine, ctypes.c_uint(1)),
                   "dnnl_stream_create")
            gomp = ctypes.CDLL("libgomp.so.1")      # the one libdnnl loaded (same soname)
        except (OneDNNError, OSError, AttributeError) as error:
            _state["error"] = f"{path}: {error}"
            return None
        _state.update(lib=lib, gomp=gomp, engine=engine, stream=stream)
        return lib


def _after_fork_in_child():
    if _state["lib"] is not None or _state["tried"]:
        _state["forked"] = True


os.register_at_fork(after_in_child=_after_fork_in_child)


def available():
    """Whether oneDNN is loaded and usable in this process (loads it on the first call)."""
    return not _state["forked"] and _load() is not None


def load_error():
    """Why `available()` is False (None when it is True or was not asked yet)."""
    if _state["forked"]:
        return "disabled in a forked child: libgomp (oneDNN's OpenMP) is not fork-safe"
    return _state["error"]


def _check(status, what):
    if status != 0:
        name = _STATUS[status] if 0 <= status < len(_STATUS) else f"status {status}"
        raise OneDNNError(f"oneDNN: {what} failed with dnnl_{name}")


def _call(name, *args):
    _check(getattr(_state["lib"], name)(*args), name)


def _destroy(name, handle, state=_state, finalizing=sys.is_finalizing):
    """Release a handle (not at interpreter exit: the process frees everything then)."""
    if state["lib"] is not None and handle and not finalizing():
        getattr(state["lib"], name)(handle)


def _dims(values):
    return _Dims(*values)


def _md(dims, tag):
    """A new dnnl_memory_desc_t of float32 with `tag`; the caller owns it."""
    md = ctypes.c_void_p()
    _call("dnnl_memory_desc_create_with_tag", ctypes.byref(md), len(dims), _dims(dims), _F32, tag)
    return md


class _Memory:
    """A dnnl_memory over md with no buffer of its own: an array's, set per call."""

    def __init__(self, md):
        self.handle = ctypes.c_void_p()
        _call("dnnl_memory_create", ctypes.byref(self.handle), ctypes.c_void_p(md),
              _state["engine"], ctypes.c_void_p(None))        # DNNL_MEMORY_NONE

    def bind(self, array):
        _call("dnnl_memory_set_data_handle", self.handle, ctypes.c_void_p(array.ctypes.data))

    def __del__(self, _destroy=_destroy):
        _destroy("dnnl_memory_destroy", getattr(self, "handle", None))


class _Primitive:
    def __init__(self, pd):
        self.handle = ctypes.c_void_p()
        _call("dnnl_primitive_create", ctypes.byref(self.handle), pd)

    def execute(self, args):
        pairs = (_ExecArg * len(args))(*[_ExecArg(a, m.handle.value) for a, m in args.items()])
        _call("dnnl_primitive_execute", self.handle, _state["stream"], len(args), pairs)

    def __del__(self, _destroy=_destroy):
        _destroy("dnnl_primitive_destroy", getattr(self, "handle", None))


class _Direction:
    """One primitive and, per argument, the caller's plain memory and, where the primitive
    chose another layout, a memory in that layout with the reorder between the two. Those
    copies live in the workspace cache (backend.workspace, one buffer per argument role for
    all geometries): kept per primitive, they raised W2's step memory from 294 to 473 MiB."""

    def __init__(self, pd, plain, inputs, outputs):
        lib = _state["lib"]
        self.pd = pd                    # owned from here on: __del__ destroys it
        self.primitive = _Primitive(pd)
        self.user, self.args, self.before, self.after = {}, {}, [], []
        self.scratch = []       # (memory, workspace role, float32 elements): blocked copies
        for name in inputs + outputs:
            user = self.user[name] = _Memory(plain[name].value)
            chosen = lib.dnnl_primitive_desc_query_md(pd, _QUERY_MD[name], 0) \
                if name in _QUERY_MD else plain[name].value
            if not chosen:
                raise OneDNNError(f"oneDNN: dnnl_primitive_desc_query_md found no {name} md")
            if lib.dnnl_memory_desc_equal(ctypes.c_void_p(chosen), plain[name]):
                self.args[ARG[name]] = user
                continue
            inner = self.args[ARG[name]] = _Memory(chosen)
            self.scratch.append((inner, "oneDNN " + name,
                                 lib.dnnl_memory_desc_get_size(ctypes.c_void_p(chosen)) // 4))
            if name in inputs:
                self.before.append(_reorder(user, plain[name].value, inner, chosen))
            else:
                self.after.append(_reorder(inner, chosen, user, plain[name].value))

    def run(self, arrays, threads):
        for name, array in arrays.items():
            self.user[name].bind(array)
        for memory, role, size in self.scratch:
            memory.bind(workspace(np, role, size, np.float32))
        _set_threads(threads)
        for primitive, args in self.before:
            primitive.execute(args)
        self.primitive.execute(self.args)
        for primitive, args in self.after:
            primitive.execute(args)
        _call("dnnl_stream_wait", _state["stream"])

    def __del__(self, _destroy=_destroy):
        _destroy("dnnl_primitive_desc_destroy", getattr(self, "pd", None))


def _reorder(src, src_md, dst, dst_md):
    """(primitive, args) copying memory src (layout src_md) into dst (layout dst_md)."""
    pd = ctypes.c_void_p()
    _call("dnnl_reorder_primitive_desc_create", ctypes.byref(pd), ctypes.c_void_p(src_md),
          _state["engine"], ctypes.c_void_p(dst_md), _state["engine"], None)
    try:
        return _Primitive(pd), {_ARG_FROM: src, _ARG_TO: dst}
    finally:
        _state["lib"].dnnl_primitive_desc_destroy(pd)


def _set_threads(n):
    """This thread's OpenMP team size (an ICV of the calling thread in libgomp), set before
    every call: PyTorch, where imported first, shares this libgomp and sets it too."""
    _state["gomp"].omp_set_num_threads(ctypes.c_int(n))


class Convolution:
    """oneDNN's primitives for y (N, K, oh, ow) = W (K, C/G, kh, kw) ⋆ x (N, C, H, W) + b,
    float32, NCHW/OIHW arrays; pads ((top, bottom), (left, right)); dilation 1 = none (oneDNN
    counts d − 1). blocked: let oneDNN choose its layouts and reorder (else plain tags)."""

    def __init__(self, x_shape, w_shape, stride, pads, dilation, groups, out_hw, bias,
                 blocked, threads):
        if not available():
            raise OneDNNError(f"oneDNN is not available: {load_error()}")
        K, G = w_shape[0], groups
        dims = {"src": tuple(x_shape), "dst": (x_shape[0], K, *out_hw),
                "weights": tuple(w_shape) if G == 1 else (G, K // G, *w_shape[1:])}
        tags = {"src": _TAG_ABCD, "dst": _TAG_ABCD, "weights": _TAG_ABCD if G == 1 else _TAG_ABCDE}
        self._mds = []                              # every md this object owns, destroyed last
        plain = {name: self._new_md(dims[name], tags[name]) for name in dims}
        plain["bias"] = self._new_md((K,), _TAG_A) if bias else None
        for name in ("src", "dst", "weights", "bias"):
            plain["diff_" + name] = plain[name]
        self.plain, self.dims, self.blocked = plain, dims, blocked
        self.threads, self.bias = threads, bias
        self.geometry = (_dims(stride), _dims([d - 1 for d in dilation]),
                         _dims([p[0] for p in pads]), _dims([p[1] for p in pads]))
        self.directions = {}
        _set_threads(threads)       # oneDNN cuts the work for the team it sees at creation
        self.hint = self._forward_pd()              # the backward primitives' hint

    def _new_md(self, dims, tag):
        md = _md(dims, tag)
        self._mds.append(md)
        return md

    def _query(self, name):
        """The md a primitive descriptor is created with: plain, or 'any' when blocked."""
        if name.endswith("bias") or not self.blocked:
            return self.plain[name]
        return self._new_md(self.dims[name.removeprefix("diff_")], _TAG_ANY)

    def _forward_pd(self):
        pd = ctypes.c_void_p()
        _call("dnnl_convolution_forward_primitive_desc_create", ctypes.byref(pd),
              _state["engine"], _FORWARD_TRAINING, _CONVOLUTION_DIRECT, self._query("src"),
              self._query("weights"), self._query("bias"), self._query("dst"), *self.geometry,
              None)
        return pd

    def _direction(self, kind):
        """The primitive of 'forward', 'backward_data' or 'backward_weights', made once."""
        if kind in self.directions:
            return self.directions[kind]
        _set_threads(self.threads)
        pd = ctypes.c_void_p()
        if kind == "forward":
            pd, io = self._forward_pd(), (["src", "weights", "bias"], ["dst"])
        elif kind == "backward_data":
            _call("dnnl_convolution_backward_data_primitive_desc_create", ctypes.byref(pd),
                  _state["engine"], _CONVOLUTION_DIRECT, self._query("diff_src"),
                  self._query("weights"), self._query("diff_dst"), *self.geometry, self.hint,
                  None)
            io = (["weights", "diff_dst"], ["diff_src"])
        else:
            _call("dnnl_convolution_backward_weights_primitive_desc_create", ctypes.byref(pd),
                  _state["engine"], _CONVOLUTION_DIRECT, self._query("src"),
                  self._query("diff_weights"), self._query("diff_bias"), self._query("diff_dst"),
                  *self.geometry, self.hint, None)
            io = (["src", "diff_dst"], ["diff_weights", "diff_bias"])
        if not self.bias:
            io = tuple([n for n in names if not n.endswith("bias")] for names in io)
        direction = self.directions[kind] = _Direction(pd, self.plain, *io)
        return direction

    def implementation(self, kind):
        """oneDNN's name of the implementation it chose for a direction ('brg:avx512_core', ...)."""
        info = ctypes.c_char_p()
        _call("dnnl_primitive_desc_query", self._direction(kind).pd, _QUERY_IMPL_INFO_STR, 0,
              ctypes.byref(info))
        return info.value.decode()

    def _run(self, kind, arrays):
        with _run_lock:
            self._direction(kind).run(arrays, self.threads)

    def forward(self, x, w, b, y):
        """y ← W ⋆ x + b (b None where the primitive has no bias); all C-contiguous float32."""
        arrays = {"src": x, "weights": w, "dst": y}
        if self.bias:
            arrays["bias"] = b
        self._run("forward", arrays)

    def backward_data(self, dy, w, dx):
        """dx ← Wᵀ ⋆ᵀ dy."""
        self._run("backward_data", {"diff_dst": dy, "weights": w, "diff_src": dx})

    def backward_weights(self, x, dy, dw, db=None):
        """dW ← Σₙ dy ⋆ x (and db ← Σ dy over n, h, w where the primitive has a bias)."""
        arrays = {"src": x, "diff_dst": dy, "diff_weights": dw}
        if self.bias:
            arrays["diff_bias"] = db
        self._run("backward_weights", arrays)

    def __del__(self, _destroy=_destroy):
        self.directions = {}
        _destroy("dnnl_primitive_desc_destroy", getattr(self, "hint", None))
        for md in getattr(self, "_mds", []):
            _destroy("dnnl_memory_desc_destroy", md)


_cache = OrderedDict()
_CACHE_SIZE = 128


def convolution(x_shape, w_shape, stride, pads, dilation, groups, out_hw, bias, blocked,
                threads):
    """The `Convolution` of this geometry, created once and kept (the most recent
    _CACHE_SIZE geometries); OneDNNError where oneDNN cannot create it."""
    key = (tuple(x_shape), tuple(w_shape), tuple(stride), tuple(pads), tuple(dilation), groups,
           tuple(out_hw), bool(bias), bool(blocked), threads)
    with _lock:
        conv = _cache.get(key)
        if conv is None:
            try:
                conv = Convolution(*key)
            except OneDNNError as error:    # kept too: a geometry oneDNN refuses is refused once
                conv = error
            _cache[key] = conv
            if len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
        else:
            _cache.move_to_end(key)
    if isinstance(conv, OneDNNError):
        raise conv
    return conv
