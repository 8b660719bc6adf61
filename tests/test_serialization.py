"""gradwork.save / gradwork.load: round trip, atomic writes, and safetensors interop with torch."""
import os

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

import gradwork as gw
from gradwork import nn, serialization


def arrays():
    rng = np.random.default_rng(0)
    return {"w": rng.standard_normal((3, 4)).astype(np.float32),
            "d": rng.standard_normal(5),
            "n": np.arange(6, dtype=np.int64).reshape(2, 3),
            "mask": np.array([True, False, True]),
            "scalar": np.array(2.5, np.float32)}


def test_round_trip_keeps_values_dtypes_and_metadata(tmp_path):
    path = tmp_path / "a.safetensors"
    sd = {k: gw.tensor(v) if k == "w" else v for k, v in arrays().items()}
    gw.save(sd, path, metadata={"epoch": 3, "note": "hi"})
    loaded = gw.load(path)
    assert set(loaded) == set(sd)
    for k, v in arrays().items():
        assert isinstance(loaded[k], gw.Tensor) and loaded[k].dtype == v.dtype
        np.testing.assert_array_equal(loaded[k].detach().numpy(), v)
    assert serialization.load_metadata(path) == {"epoch": "3", "note": "hi"}
    assert isinstance(gw.load(path, as_arrays=True)["w"], np.ndarray)


def test_model_round_trip(tmp_path):
    a = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    b = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    gw.save(a.state_dict(), tmp_path / "m.safetensors")
    b.load_state_dict(gw.load(tmp_path / "m.safetensors"))
    x = gw.randn(2, 3)
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())
    for p in b.parameters():                 # loaded parameters stay trainable in place
        p.data += 1


def _leftovers(folder):
    return sorted(f for f in os.listdir(folder) if f.startswith(".tmp-"))


@pytest.mark.parametrize("fail_at", ["fsync", "replace"])
def test_failed_write_keeps_the_old_file_and_no_temp(tmp_path, monkeypatch, fail_at):
    path = tmp_path / "ckpt.safetensors"
    gw.save({"w": np.ones(3, np.float32)}, path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError(f"simulated failure in {fail_at}")

    monkeypatch.setattr(serialization.os, fail_at, boom)
    with pytest.raises(OSError, match="simulated"):
        gw.save({"w": np.zeros(1000, np.float32)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == []
    np.testing.assert_array_equal(gw.load(path)["w"].detach().numpy(), np.ones(3, np.float32))


def test_write_that_fails_midway_leaves_nothing_behind(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    gw.save({"w": np.ones(3, np.float32)}, path)
    before = path.read_bytes()
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, data):
            self.f.write(data[: len(data) // 2])
            raise OSError("disk full")

    monkeypatch.setattr(serialization.os, "fdopen", lambda fd, mode: HalfWriter(real_fdopen(fd,
                                                                                           mode)))
    with pytest.raises(OSError, match="disk full"):
        gw.save({"w": np.zeros(1000, np.float32)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before and _leftovers(tmp_path) == []


def test_unwritable_destinations(tmp_path):
    with pytest.raises(FileNotFoundError):
        gw.save({"w": np.ones(2)}, tmp_path / "missing" / "x.safetensors")
    assert os.listdir(tmp_path) == []
    if os.geteuid() != 0:          # root ignores directory permissions
        locked = tmp_path / "locked"
        locked.mkdir()
        os.chmod(locked, 0o500)
        try:
            with pytest.raises(PermissionError):
                gw.save({"w": np.ones(2)}, locked / "x.safetensors")
            assert os.listdir(locked) == []
        finally:
            os.chmod(locked, 0o700)


def test_bad_input_and_bad_files(tmp_path):
    # a list, or int keys, are nested checkpoints now (tests/test_nested.py); objects are not
    with pytest.raises(TypeError, match="no pickle"):
        gw.save([object()], tmp_path / "x.safetensors")
    gw.save({1: np.ones(2)}, tmp_path / "x.safetensors")
    np.testing.assert_array_equal(gw.load(tmp_path / "x.safetensors")[1], np.ones(2))
    with pytest.raises(FileNotFoundError, match="no such file"):
        gw.load(tmp_path / "none.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match="junk.safetensors is not a valid safetensors file"):
        gw.load(tmp_path / "junk.safetensors")


def mlps():
    mine = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))
    ref = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    return mine, ref


def _same_outputs(mine, ref):
    x = np.random.default_rng(1).standard_normal((4, 6)).astype(np.float32)
    np.testing.assert_allclose(mine(gw.tensor(x)).detach().numpy(),
                               ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_loads_a_file_written_by_torch(tmp_path):
    mine, ref = mlps()
    save_file(ref.state_dict(), str(tmp_path / "torch.safetensors"))
    result = mine.load_state_dict(gw.load(tmp_path / "torch.safetensors"))
    assert result.missing_keys == [] and result.unexpected_keys == []
    _same_outputs(mine, ref)


def test_torch_loads_a_file_written_by_gradwork(tmp_path):
    mine, ref = mlps()
    gw.save(mine.state_dict(), tmp_path / "gw.safetensors")
    ref.load_state_dict(load_file(str(tmp_path / "gw.safetensors")))
    _same_outputs(mine, ref)


def _flip_bit(path, offset_from_end=5, bit=0x08):
    raw = bytearray(path.read_bytes())
    raw[-offset_from_end] ^= bit
    path.write_bytes(bytes(raw))


def _header(path):
    import json
    raw = path.read_bytes()
    return json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])


def test_saved_files_carry_a_checksum_and_a_flipped_bit_is_refused(tmp_path):
    path = tmp_path / "w.safetensors"
    gw.save(arrays(), path, metadata={"epoch": 3})
    assert len(_header(path)["__metadata__"][serialization.CHECKSUM_KEY]) == 64
    assert serialization.load_metadata(path) == {"epoch": "3"}    # the checksum stays inside
    _flip_bit(path)
    with pytest.raises(gw.errors.CheckpointError, match=r"w.safetensors is corrupt.*checksum "
                       r"does not match.*fall back to the previous checkpoint"):
        gw.load(path)


@pytest.mark.parametrize("offset", [1, 30, 60, 90])
def test_every_tensor_byte_is_covered(tmp_path, offset):
    path = tmp_path / "w.safetensors"
    gw.save(arrays(), path)
    _flip_bit(path, offset, 0x01)
    with pytest.raises(gw.errors.CheckpointError, match="corrupt"):
        gw.load(path, as_arrays=True)


def test_edited_metadata_or_shape_is_refused(tmp_path):
    """Same byte length, different meaning: the metadata and the header count too."""
    path = tmp_path / "w.safetensors"
    gw.save({"w": np.ones((2, 3), np.float32)}, path, metadata={"epoch": 3})
    for old, new in ((b'"epoch":"3"', b'"epoch":"9"'), (b'"shape":[2,3]', b'"shape":[3,2]')):
        raw = path.read_bytes()
        assert old in raw
        edited = tmp_path / "edited.safetensors"
        edited.write_bytes(raw.replace(old, new))
        with pytest.raises(gw.errors.CheckpointError, match="edited.safetensors is corrupt"):
            gw.load(edited)


def test_checksum_ignores_byte_order_and_is_what_torch_files_lack(tmp_path):
    big = {"w": np.arange(6, dtype=">f4").reshape(2, 3)}
    assert serialization.checksum(big, {}) == \
        serialization.checksum({"w": big["w"].astype("<f4")}, {})
    gw.save(big, tmp_path / "big.safetensors")
    np.testing.assert_array_equal(gw.load(tmp_path / "big.safetensors")["w"].data, big["w"])
    save_file({"w": torch.ones(2)}, str(tmp_path / "t.safetensors"))   # no checksum: loads
    assert serialization.CHECKSUM_KEY not in (_header(tmp_path / "t.safetensors")
                                              .get("__metadata__") or {})
    np.testing.assert_array_equal(gw.load(tmp_path / "t.safetensors")["w"].data, np.ones(2))
