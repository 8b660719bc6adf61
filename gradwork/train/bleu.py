"""BLEU (Papineni, Roukos, Ward & Zhu 2002), corpus level, the score deck 000's translation
results and Bahdanau et al. / Wu et al. report:

    BLEU = BP · exp(Σ_{n=1}^{N} w_n log p_n),   w_n = 1/N,  N = 4
    p_n  = Σ_sentences Σ_{g ∈ n-grams(hyp)} min(count_hyp(g), max_ref count_ref(g))
           / Σ_sentences |n-grams(hyp)|                      (modified n-gram precision)
    BP   = 1 if c > r else exp(1 − r/c)                        (brevity penalty)

c the total hypothesis length, r the effective reference length: for each sentence the
reference length closest to the hypothesis's (the shorter on a tie), summed. Counts are
summed over the corpus before dividing (corpus BLEU is not the mean of sentence BLEUs). With
no smoothing, a corpus with no matching n-gram of some order scores 0. Sentences are
sequences of tokens (words or ids); BLEU is returned in [0, 1] (×100 for the papers' scale).
"""
import math
from collections import Counter


def ngrams(tokens, n):
    """Counter of the n-grams (tuples) of `tokens`."""
    tokens = tuple(tokens)
    return Counter(tokens[i:i + n] for i in range(len(tokens) - n + 1))


def _check(hypotheses, references):
    if isinstance(hypotheses, str) or isinstance(references, str):
        raise ValueError("corpus_bleu: hypotheses and references must be lists of token "
                         "sequences (split the strings), got a str")
    if len(hypotheses) != len(references):
        raise ValueError(f"corpus_bleu: {len(hypotheses)} hypotheses but {len(references)} "
                         "reference sets (one set per hypothesis)")
    if not hypotheses:
        raise ValueError("corpus_bleu: hypotheses must not be empty")


def bleu_statistics(hypotheses, references, max_n=4):
    """(matches[n−1], totals[n−1], c, r) summed over the corpus; `references[i]` is a list of
    reference token sequences for hypothesis i."""
    _check(hypotheses, references)
    matches, totals, c, r = [0] * max_n, [0] * max_n, 0, 0
    for hyp, refs in zip(hypotheses, references):
        refs = [list(x) for x in refs]
        if not refs:
            raise ValueError("corpus_bleu: every hypothesis needs at least one reference")
        hyp = list(hyp)
        c += len(hyp)
        r += min((abs(len(x) - len(hyp)), len(x)) for x in refs)[1]
        for n in range(1, max_n + 1):
            counts = ngrams(hyp, n)
            best = Counter()
            for x in refs:
                best |= ngrams(x, n)                 # the max count over the references
            matches[n - 1] += sum(min(k, best[g]) for g, k in counts.items())
            totals[n - 1] += max(len(hyp) - n + 1, 0)
    return matches, totals, c, r


def corpus_bleu(hypotheses, references, max_n=4):
    """Corpus BLEU in [0, 1] of `hypotheses` (token sequences) against `references` (for
    each hypothesis, a list of reference token sequences); uniform weights 1/max_n."""
    matches, totals, c, r = bleu_statistics(hypotheses, references, max_n)
    if c == 0 or min(matches) == 0:
        return 0.0
    log_p = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n
    bp = 1.0 if c > r else math.exp(1 - r / c)
    return bp * math.exp(log_p)
