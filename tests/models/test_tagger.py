"""models/tagger.py: the (bi)LSTM framewise tagger (issue 17, item 6)."""
import numpy as np
import torch

import gradwork as gw
from gradwork.models.tagger import BiLSTMTagger


def _torch_tagger(model):
    E, H = model.embedding.embedding_dim, model.rnn.hidden_size
    ref = torch.nn.ModuleDict({
        "embedding": torch.nn.Embedding(model.embedding.num_embeddings, E, padding_idx=0),
        "rnn": torch.nn.LSTM(E, H, batch_first=True, bidirectional=model.rnn.bidirectional),
        "fc": torch.nn.Linear(model.fc.in_features, model.fc.out_features)}).double()
    ref.load_state_dict({k: torch.tensor(v.numpy(), dtype=torch.float64)
                         for k, v in model.state_dict().items()})
    return ref


def test_padded_batches_equal_pytorch_with_packed_sequences():
    gw.manual_seed(0)
    model = BiLSTMTagger(4, 7, embedding_dim=5, hidden_size=6).double()
    ref = _torch_tagger(model)
    x = np.array([[3, 1, 4, 1, 5, 6], [2, 6, 5, 0, 0, 0], [6, 0, 0, 0, 0, 0]])
    lengths = [6, 3, 1]
    out = model(gw.tensor(x)).detach().numpy()                       # lengths from the padding
    packed = torch.nn.utils.rnn.pack_padded_sequence(ref["embedding"](torch.tensor(x)), lengths,
                                                     batch_first=True)
    h, _ = torch.nn.utils.rnn.pad_packed_sequence(ref["rnn"](packed)[0], batch_first=True)
    expected = ref["fc"](h).detach().numpy()
    for i, n in enumerate(lengths):
        np.testing.assert_allclose(out[i, :n], expected[i, :n], atol=1e-10)


def test_a_left_to_right_tagger_never_sees_the_future_and_a_bidirectional_one_does():
    x = np.array([[1, 2, 3, 4, 5, 6]])
    changed = x.copy()
    changed[0, 4:] = [6, 1]                                          # frames 4 and 5 change
    for bidirectional in (False, True):
        gw.manual_seed(1)
        model = BiLSTMTagger(4, 7, hidden_size=8, bidirectional=bidirectional)
        a, b = (model(gw.tensor(v)).detach().numpy() for v in (x, changed))
        same_past = np.allclose(a[0, :4], b[0, :4], atol=0, rtol=0)
        assert same_past != bidirectional


def test_trailing_padding_changes_nothing_on_the_real_frames():
    gw.manual_seed(2)
    model = BiLSTMTagger(4, 7, hidden_size=8)
    x = np.array([[1, 5, 2, 2]])
    padded = np.array([[1, 5, 2, 2, 0, 0, 0]])
    np.testing.assert_allclose(model(gw.tensor(padded)).detach().numpy()[:, :4],
                               model(gw.tensor(x)).detach().numpy(), atol=1e-6)
