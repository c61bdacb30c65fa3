"""Known-wrong answers to exercises/07-seq2seq-attention.ipynb; each must lose points.

WRONG_ANSWERS maps a question to (mistake, answer cell) pairs. The answer cell replaces the
student's stub. Every answer is self-contained, so one submission can carry a wrong answer to
every question at once and each question is still graded on its own answer.
"""

WRONG_ANSWERS = {
    "q1": [
        (
            "softmax over the batch axis instead of the source positions",
            """
def attend(scores, h, mask):
    masked = np.where(mask, scores, -np.inf)
    e = np.exp(masked - masked.max(axis=0, keepdims=True))
    alpha = e / e.sum(axis=0, keepdims=True)
    return alpha, np.einsum("nt,nth->nh", alpha, h)
""",
        ),
        (
            "no padding mask: padded positions get weight",
            """
def attend(scores, h, mask):
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    alpha = e / e.sum(axis=1, keepdims=True)
    return alpha, np.einsum("nt,nth->nh", alpha, h)
""",
        ),
        (
            "masks after the softmax without renormalising: real weights no longer sum to 1",
            """
def attend(scores, h, mask):
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    alpha = e / e.sum(axis=1, keepdims=True) * mask
    return alpha, np.einsum("nt,nth->nh", alpha, h)
""",
        ),
        (
            "no max subtraction: overflows for large scores",
            """
def attend(scores, h, mask):
    e = np.exp(scores) * mask
    alpha = e / e.sum(axis=1, keepdims=True)
    return alpha, np.einsum("nt,nth->nh", alpha, h)
""",
        ),
    ],
    "q2": [
        (
            "forgets the tanh: a linear score",
            """
def additive_scores(s, h, W_s, W_h, v):
    return ((s @ W_s.T)[:, None, :] + h @ W_h.T) @ v
""",
        ),
        (
            "drops the query term W_s s: every decoder step scores the same",
            """
def additive_scores(s, h, W_s, W_h, v):
    return np.tanh(h @ W_h.T) @ v
""",
        ),
        (
            "multiplies h by W_h untransposed (h @ W_h), which fits only when A == H",
            """
def additive_scores(s, h, W_s, W_h, v):
    return np.tanh((s @ W_s.T)[:, None, :] + h @ W_h) @ v
""",
        ),
    ],
    "q3": [
        (
            "ignores the hypotheses' previous scores",
            """
def beam_step(scores, log_probs, k):
    best = np.argsort(-log_probs, axis=None, kind="stable")[:k]
    parents, tokens = np.unravel_index(best, log_probs.shape)
    return parents, tokens, scores[parents] + log_probs[parents, tokens]
""",
        ),
        (
            "keeps the best token of each hypothesis instead of the best k overall",
            """
def beam_step(scores, log_probs, k):
    total = scores[:, None] + log_probs
    tokens = total.argmax(axis=1)
    order = np.argsort(-total.max(axis=1), kind="stable")[:k]
    return order, tokens[order], total[order, tokens[order]]
""",
        ),
        (
            "sorts ascending: keeps the k worst extensions",
            """
def beam_step(scores, log_probs, k):
    total = scores[:, None] + log_probs
    best = np.argsort(total, axis=None, kind="stable")[:k]
    parents, tokens = np.unravel_index(best, total.shape)
    return parents, tokens, total[parents, tokens]
""",
        ),
    ],
    "q4": [
        (
            "no clipping: a repeated candidate word matches every time",
            """
def corpus_bleu(references, candidates, max_order=4):
    logs = 0.0
    for n in range(1, max_order + 1):
        hits = total = 0
        for r, c in zip(references, candidates):
            ref = set(tuple(r[i : i + n]) for i in range(len(r) - n + 1))
            grams = [tuple(c[i : i + n]) for i in range(len(c) - n + 1)]
            hits += sum(g in ref for g in grams)
            total += len(grams)
        if hits == 0:
            return 0.0
        logs += np.log(hits / total) / max_order
    ratio = sum(map(len, references)) / sum(map(len, candidates))
    return float(min(1.0, np.exp(1 - ratio)) * np.exp(logs))
""",
        ),
        (
            "no brevity penalty",
            """
def corpus_bleu(references, candidates, max_order=4):
    logs = 0.0
    for n in range(1, max_order + 1):
        hits = total = 0
        for r, c in zip(references, candidates):
            ref = Counter(tuple(r[i : i + n]) for i in range(len(r) - n + 1))
            cand = Counter(tuple(c[i : i + n]) for i in range(len(c) - n + 1))
            hits += sum(min(k, ref[g]) for g, k in cand.items())
            total += sum(cand.values())
        if hits == 0:
            return 0.0
        logs += np.log(hits / total) / max_order
    return float(np.exp(logs))
""",
        ),
        (
            "the mean of sentence-level scores instead of one corpus score",
            """
def corpus_bleu(references, candidates, max_order=4):
    def one(r, c):
        logs = 0.0
        for n in range(1, max_order + 1):
            ref = Counter(tuple(r[i : i + n]) for i in range(len(r) - n + 1))
            cand = Counter(tuple(c[i : i + n]) for i in range(len(c) - n + 1))
            hits = sum(min(k, ref[g]) for g, k in cand.items())
            if hits == 0:
                return 0.0
            logs += np.log(hits / sum(cand.values())) / max_order
        return min(1.0, np.exp(1 - len(r) / len(c))) * np.exp(logs)
    return float(np.mean([one(r, c) for r, c in zip(references, candidates)]))
""",
        ),
        (
            "the arithmetic mean of the precisions instead of the geometric mean",
            """
def corpus_bleu(references, candidates, max_order=4):
    precisions = []
    for n in range(1, max_order + 1):
        hits = total = 0
        for r, c in zip(references, candidates):
            ref = Counter(tuple(r[i : i + n]) for i in range(len(r) - n + 1))
            cand = Counter(tuple(c[i : i + n]) for i in range(len(c) - n + 1))
            hits += sum(min(k, ref[g]) for g, k in cand.items())
            total += sum(cand.values())
        if hits == 0:
            return 0.0
        precisions.append(hits / total)
    ratio = sum(map(len, references)) / sum(map(len, candidates))
    return float(min(1.0, np.exp(1 - ratio)) * np.mean(precisions))
""",
        ),
        (
            "brevity penalty upside down, exp(1 - c / r): penalises long candidates instead",
            """
def corpus_bleu(references, candidates, max_order=4):
    logs = 0.0
    for n in range(1, max_order + 1):
        hits = total = 0
        for r, c in zip(references, candidates):
            ref = Counter(tuple(r[i : i + n]) for i in range(len(r) - n + 1))
            cand = Counter(tuple(c[i : i + n]) for i in range(len(c) - n + 1))
            hits += sum(min(k, ref[g]) for g, k in cand.items())
            total += sum(cand.values())
        if hits == 0:
            return 0.0
        logs += np.log(hits / total) / max_order
    ratio = sum(map(len, candidates)) / sum(map(len, references))
    return float(min(1.0, np.exp(1 - ratio)) * np.exp(logs))
""",
        ),
    ],
    "q5": [
        (
            "ignores alpha: ranks and scores finished hypotheses by raw log-probability",
            """
def beam_search(log_probs, k, max_len, alpha, eos=0):
    alive, finished = [((), 0.0)], []
    for t in range(1, max_len + 1):
        candidates = sorted(
            ((p + (y,), lp + float(s)) for p, lp in alive for y, s in enumerate(log_probs[p])),
            key=lambda c: -c[1],
        )
        alive = []
        for tokens, lp in candidates:
            if tokens[-1] == eos or t == max_len:
                finished.append((tokens, lp))
            else:
                alive.append((tokens, lp))
                if len(alive) == k:
                    break
        if not alive:
            break
    tokens, lp = max(finished, key=lambda h: h[1])
    return (tokens[:-1] if tokens[-1] == eos else tokens), lp
""",
        ),
        (
            "chooses the finished hypothesis by raw log-probability, then normalises its score",
            """
def beam_search(log_probs, k, max_len, alpha, eos=0):
    alive, finished = [((), 0.0)], []
    for t in range(1, max_len + 1):
        candidates = sorted(
            ((p + (y,), lp + float(s)) for p, lp in alive for y, s in enumerate(log_probs[p])),
            key=lambda c: -c[1],
        )
        alive = []
        for tokens, lp in candidates:
            if tokens[-1] == eos or t == max_len:
                finished.append((tokens, lp))
            else:
                alive.append((tokens, lp))
                if len(alive) == k:
                    break
        if not alive:
            break
    tokens, lp = max(finished, key=lambda h: h[1])
    return (tokens[:-1] if tokens[-1] == eos else tokens), lp / len(tokens) ** alpha
""",
        ),
        (
            "the length in the score leaves out the eos token",
            """
def beam_search(log_probs, k, max_len, alpha, eos=0):
    alive, finished = [((), 0.0)], []
    for t in range(1, max_len + 1):
        candidates = sorted(
            ((p + (y,), lp + float(s)) for p, lp in alive for y, s in enumerate(log_probs[p])),
            key=lambda c: -c[1],
        )
        alive = []
        for tokens, lp in candidates:
            if tokens[-1] == eos or t == max_len:
                finished.append((tokens[:-1] if tokens[-1] == eos else tokens, lp))
            else:
                alive.append((tokens, lp))
                if len(alive) == k:
                    break
        if not alive:
            break
    scored = [(lp / max(len(tokens), 1) ** alpha, tokens) for tokens, lp in finished]
    score, tokens = max(scored, key=lambda pair: pair[0])
    return tokens, score
""",
        ),
        (
            "finished hypotheses stay in the beam: every hypothesis runs on past eos to max_len",
            """
def beam_search(log_probs, k, max_len, alpha, eos=0):
    beam = [((), 0.0)]
    for t in range(1, max_len + 1):
        candidates = sorted(
            ((p + (y,), lp + float(s)) for p, lp in beam for y, s in enumerate(log_probs[p])),
            key=lambda c: -c[1],
        )
        beam = candidates if t == max_len else candidates[:k]
    best = None
    for tokens, lp in beam:
        end = tokens.index(eos) + 1 if eos in tokens else len(tokens)
        score = lp / end**alpha
        if best is None or score > best[0]:
            best = (score, tokens[: end - 1] if eos in tokens else tokens)
    return best[1], best[0]
""",
        ),
        (
            "stops at the first finished hypothesis",
            """
def beam_search(log_probs, k, max_len, alpha, eos=0):
    alive = [((), 0.0)]
    for t in range(1, max_len + 1):
        candidates = sorted(
            ((p + (y,), lp + float(s)) for p, lp in alive for y, s in enumerate(log_probs[p])),
            key=lambda c: -c[1],
        )
        alive = []
        for tokens, lp in candidates:
            if tokens[-1] == eos or t == max_len:
                return (tokens[:-1] if tokens[-1] == eos else tokens), lp / len(tokens) ** alpha
            alive.append((tokens, lp))
            if len(alive) == k:
                break
""",
        ),
        (
            "keeps every eos extension, also those ranked below the k-th alive hypothesis",
            """
def beam_search(log_probs, k, max_len, alpha, eos=0):
    alive, finished = [((), 0.0)], []
    for t in range(1, max_len + 1):
        candidates = sorted(
            ((p + (y,), lp + float(s)) for p, lp in alive for y, s in enumerate(log_probs[p])),
            key=lambda c: -c[1],
        )
        finished += [c for c in candidates if c[0][-1] == eos or t == max_len]
        alive = [c for c in candidates if c[0][-1] != eos and t < max_len][:k]
        if not alive:
            break
    scored = [(lp / len(tokens) ** alpha, tokens) for tokens, lp in finished]
    score, tokens = max(scored, key=lambda pair: pair[0])
    return (tokens[:-1] if tokens[-1] == eos else tokens), score
""",
        ),
        (
            "finished candidates use up beam slots: keeps the k best, then removes the eos ones",
            """
def beam_search(log_probs, k, max_len, alpha, eos=0):
    alive, finished = [((), 0.0)], []
    for t in range(1, max_len + 1):
        candidates = sorted(
            ((p + (y,), lp + float(s)) for p, lp in alive for y, s in enumerate(log_probs[p])),
            key=lambda c: -c[1],
        )
        if t < max_len:
            candidates = candidates[:k]
        finished += [c for c in candidates if c[0][-1] == eos or t == max_len]
        alive = [c for c in candidates if c[0][-1] != eos and t < max_len]
        if not alive:
            break
    scored = [(lp / len(tokens) ** alpha, tokens) for tokens, lp in finished]
    score, tokens = max(scored, key=lambda pair: pair[0])
    return (tokens[:-1] if tokens[-1] == eos else tokens), score
""",
        ),
    ],
    "q6": [
        (
            "the bug as given: no centring term, dL/de = alpha * dL/dalpha",
            """
def dot_attention_backward(dc, s, h, mask):
    e = np.where(mask, np.einsum("nh,nth->nt", s, h), -np.inf)
    alpha = np.exp(e - e.max(axis=1, keepdims=True))
    alpha /= alpha.sum(axis=1, keepdims=True)
    dalpha = np.einsum("nh,nth->nt", dc, h)
    de = alpha * dalpha
    ds = np.einsum("nt,nth->nh", de, h)
    dh = alpha[:, :, None] * dc[:, None, :] + de[:, :, None] * s[:, None, :]
    return ds, dh
""",
        ),
        (
            "only the diagonal of the softmax's Jacobian: dL/de = alpha (1 - alpha) dL/dalpha",
            """
def dot_attention_backward(dc, s, h, mask):
    e = np.where(mask, np.einsum("nh,nth->nt", s, h), -np.inf)
    alpha = np.exp(e - e.max(axis=1, keepdims=True))
    alpha /= alpha.sum(axis=1, keepdims=True)
    dalpha = np.einsum("nh,nth->nt", dc, h)
    de = alpha * (1 - alpha) * dalpha
    ds = np.einsum("nt,nth->nh", de, h)
    dh = alpha[:, :, None] * dc[:, None, :] + de[:, :, None] * s[:, None, :]
    return ds, dh
""",
        ),
        (
            "centres on the plain mean of dL/dalpha over the real positions, not the "
            "alpha-weighted one (the two agree when s = 0)",
            """
def dot_attention_backward(dc, s, h, mask):
    e = np.where(mask, np.einsum("nh,nth->nt", s, h), -np.inf)
    alpha = np.exp(e - e.max(axis=1, keepdims=True))
    alpha /= alpha.sum(axis=1, keepdims=True)
    dalpha = np.einsum("nh,nth->nt", dc, h)
    mean = (dalpha * mask).sum(axis=1, keepdims=True) / mask.sum(axis=1, keepdims=True)
    de = alpha * (dalpha - mean)
    ds = np.einsum("nt,nth->nh", de, h)
    dh = alpha[:, :, None] * dc[:, None, :] + de[:, :, None] * s[:, None, :]
    return ds, dh
""",
        ),
        (
            "subtracts the plain sum of dL/dalpha, padding included, instead of the weighted one",
            """
def dot_attention_backward(dc, s, h, mask):
    e = np.where(mask, np.einsum("nh,nth->nt", s, h), -np.inf)
    alpha = np.exp(e - e.max(axis=1, keepdims=True))
    alpha /= alpha.sum(axis=1, keepdims=True)
    dalpha = np.einsum("nh,nth->nt", dc, h)
    de = alpha * (dalpha - dalpha.sum(axis=1, keepdims=True))
    ds = np.einsum("nt,nth->nh", de, h)
    dh = alpha[:, :, None] * dc[:, None, :] + de[:, :, None] * s[:, None, :]
    return ds, dh
""",
        ),
        (
            "centres over the batch axis (axis=0) instead of the source positions",
            """
def dot_attention_backward(dc, s, h, mask):
    e = np.where(mask, np.einsum("nh,nth->nt", s, h), -np.inf)
    alpha = np.exp(e - e.max(axis=1, keepdims=True))
    alpha /= alpha.sum(axis=1, keepdims=True)
    dalpha = np.einsum("nh,nth->nt", dc, h)
    de = alpha * (dalpha - (alpha * dalpha).sum(axis=0, keepdims=True))
    ds = np.einsum("nt,nth->nh", de, h)
    dh = alpha[:, :, None] * dc[:, None, :] + de[:, :, None] * s[:, None, :]
    return ds, dh
""",
        ),
        (
            "fixes the softmax but drops the score path of dh: dh_i = alpha_i dc only",
            """
def dot_attention_backward(dc, s, h, mask):
    e = np.where(mask, np.einsum("nh,nth->nt", s, h), -np.inf)
    alpha = np.exp(e - e.max(axis=1, keepdims=True))
    alpha /= alpha.sum(axis=1, keepdims=True)
    dalpha = np.einsum("nh,nth->nt", dc, h)
    de = alpha * (dalpha - (alpha * dalpha).sum(axis=1, keepdims=True))
    return np.einsum("nt,nth->nh", de, h), alpha[:, :, None] * dc[:, None, :]
""",
        ),
        (
            "rewrites the forward pass without the mask: padded positions get weight",
            """
def dot_attention_backward(dc, s, h, mask):
    e = np.einsum("nh,nth->nt", s, h)
    alpha = np.exp(e - e.max(axis=1, keepdims=True))
    alpha /= alpha.sum(axis=1, keepdims=True)
    dalpha = np.einsum("nh,nth->nt", dc, h)
    de = alpha * (dalpha - (alpha * dalpha).sum(axis=1, keepdims=True))
    ds = np.einsum("nt,nth->nh", de, h)
    dh = alpha[:, :, None] * dc[:, None, :] + de[:, :, None] * s[:, None, :]
    return ds, dh
""",
        ),
    ],
}
