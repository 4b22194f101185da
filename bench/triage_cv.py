"""Stratified 5-fold cross-validation of the triage classifier on the packaged corpus.

Each fold trains on 4/5 of train.jsonl (plus the hand-written examples, which are never
scored) and scores the held-out 1/5. Run: `.venv/bin/python bench/triage_cv.py [--no-extra]`.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter

from sklearn.model_selection import StratifiedKFold

from hub.triage.classifier import Classifier, evaluate
from hub.triage.corpus import handwritten_examples, packaged_corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-extra", action="store_true", help="corpus only, no extra examples")
    parser.add_argument("--c", type=float, default=Classifier.c, help="SVM C")
    parser.add_argument(
        "--lexicon-weight", type=float, default=Classifier.lexicon_weight, help="0: no lexicon"
    )
    parser.add_argument("--errors", action="store_true", help="print misclassified texts")
    args = parser.parse_args()

    corpus = packaged_corpus()
    extra = [] if args.no_extra else handwritten_examples()
    labels = [ex.category for ex in corpus]
    splitter = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=args.seed)
    accs: list[float] = []
    f1s: list[float] = []
    confusions: Counter[tuple[str, str]] = Counter()
    right = wrong = 0
    review_right = review_wrong = 0
    scored: list[tuple[float, bool]] = []
    started = time.perf_counter()
    for fold, (train_idx, test_idx) in enumerate(splitter.split(corpus, labels), start=1):
        clf = Classifier(c=args.c, lexicon_weight=args.lexicon_weight).train(
            [corpus[i] for i in train_idx] + extra
        )
        held_out = [corpus[i] for i in test_idx]
        scores = evaluate(clf, held_out)
        accs.append(scores["accuracy"])
        f1s.append(scores["macro_f1"])
        for ex, pred in zip(held_out, clf.predict_many([e.text for e in held_out]), strict=True):
            ok = pred.category == ex.category
            scored.append((pred.confidence, ok))
            right += ok
            wrong += not ok
            if pred.manual_review:
                review_right += ok
                review_wrong += not ok
            if not ok:
                confusions[(ex.category, pred.category)] += 1
                if args.errors:
                    print(
                        f"  {ex.category:>24} -> {pred.category:<24} "
                        f"{pred.confidence:.2f} {ex.text[:90]}"
                    )
        print(f"fold {fold}: accuracy {scores['accuracy']:.3f}  macro-F1 {scores['macro_f1']:.3f}")
    elapsed = time.perf_counter() - started
    print(
        f"{args.folds}-fold CV on {len(corpus)} complaints "
        f"(+{len(extra)} hand-written in every training fold), {elapsed:.0f} s"
    )
    print(
        f"accuracy {statistics.mean(accs):.3f} (sd {statistics.stdev(accs):.3f})  "
        f"macro-F1 {statistics.mean(f1s):.3f} (sd {statistics.stdev(f1s):.3f})"
    )
    flagged = review_right + review_wrong
    print(
        f"manual_review at the default threshold: {flagged} of {right + wrong} flagged, "
        f"catching {review_wrong} of {wrong} errors"
    )
    print("calibration (confidence bin: n, mean confidence, accuracy):")
    ece = 0.0
    for low, high in ((0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 0.97), (0.97, 1.01)):
        in_bin = [(c, ok) for c, ok in scored if low <= c < high]
        if not in_bin:
            continue
        conf = statistics.mean(c for c, _ in in_bin)
        acc = statistics.mean(1.0 if ok else 0.0 for _, ok in in_bin)
        ece += len(in_bin) / len(scored) * abs(conf - acc)
        span = f"[{low:.2f}, {min(high, 1.0):.2f})"
        print(f"  {span}: n={len(in_bin):>3}  conf {conf:.3f}  acc {acc:.3f}")
    print(f"expected calibration error {ece:.3f}")
    for threshold in (0.5, 0.6, 0.7, 0.8):
        below = [ok for c, ok in scored if c < threshold]
        print(
            f"  threshold {threshold}: {len(below)} sent to manual review, "
            f"{below.count(False)} of {wrong} errors caught"
        )
    print("most frequent confusions (true -> predicted):")
    for (true, predicted), n in confusions.most_common(8):
        print(f"  {n:>3}  {true} -> {predicted}")


if __name__ == "__main__":
    main()
