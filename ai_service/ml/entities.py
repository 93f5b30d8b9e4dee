"""Entities: a word-level tagger on the shared encoder's token states, plus the baseline's rules.

The tagger is a logistic-regression head over each word's `token_states` (BIO tags over the six
WNUT17 types, trained by `auraos-train-entities`) decoded by Viterbi with tag-transition
probabilities counted on the training data (so "Barack Obama" is one person, not two), so
entities cost one small matrix product on top of the encoder pass that intent and sentiment
already need. Rules (e-mails, URLs, money,
times, dates, numbers: `nlu.baseline`) win where they overlap a tagged span. Types are
lower-case snake_case: person, location, organization, group, product, creative_work, plus the
rules' types.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from shared.models.chat import Entity

from ..nlu.baseline import extract_entities as rule_entities
from .artifacts import float32_arrays, open_artifact
from .encoder import SentenceEncoder, WordStates
from .probabilities import softmax

#: WNUT17 type -> our entity type.
WNUT_TYPES: dict[str, str] = {
    "person": "person",
    "location": "location",
    "corporation": "organization",
    "group": "group",
    "product": "product",
    "creative-work": "creative_work",
}
_RULE_CONFIDENCE = 0.95

#: (WNUT type, start, end, confidence) of one tagged span, in characters.
TaggedSpan = tuple[str, int, int, float]


class EntityTagger:
    """Loads the head once; `predict` runs the encoder, `predict_words` reuses its output."""

    def __init__(
        self,
        *,
        encoder: SentenceEncoder,
        labels: Sequence[str],
        coef: NDArray[np.float32],
        intercept: NDArray[np.float32],
        transitions: NDArray[np.float32],
        version: str,
        use_rules: bool = True,
    ) -> None:
        if coef.shape[0] != len(labels) or transitions.shape != (len(labels) + 1, len(labels)):
            raise ValueError(f"head shapes do not fit {len(labels)} labels")
        self.encoder = encoder
        self.labels = tuple(labels)
        self._coef = coef
        self._intercept = intercept
        self._transitions = transitions
        self.version = version
        self.use_rules = use_rules

    @classmethod
    def load(cls, directory: Path, *, encoder: SentenceEncoder, check: bool = True) -> EntityTagger:
        card, config = open_artifact(directory, check=check)
        head = float32_arrays(directory / "head.npz")
        return cls(
            encoder=encoder,
            labels=config["labels"],
            coef=head["coef"],
            intercept=head["intercept"],
            transitions=head["transitions"],
            version=f"{card.get('name', 'auraos-entities')}-{card.get('version', '?')}",
        )

    def predict(self, texts: Sequence[str]) -> list[tuple[Entity, ...]]:
        _, words = self.encoder.encode_with_words(texts)
        return self.predict_words(texts, words)

    def predict_words(
        self, texts: Sequence[str], words: Sequence[WordStates]
    ) -> list[tuple[Entity, ...]]:
        return [
            self._merge(text, spans)
            for text, spans in zip(texts, self.tag_words(words), strict=True)
        ]

    def spans(self, texts: Sequence[str]) -> list[list[TaggedSpan]]:
        """Tagged spans (WNUT type, start, end, confidence) per text, rules left out."""
        _, words = self.encoder.encode_with_words(texts)
        return self.tag_words(words)

    def tag_words(self, words: Sequence[WordStates]) -> list[list[TaggedSpan]]:
        sizes = [len(w.spans) for w in words]
        if not sum(sizes):
            return [[] for _ in words]
        states = np.concatenate([w.states for w in words if len(w.spans)])
        probs = softmax(states @ self._coef.T + self._intercept)
        out: list[list[TaggedSpan]] = []
        begin = 0
        for text_words, size in zip(words, sizes, strict=True):
            end = begin + size
            text_probs = probs[begin:end]
            tags = viterbi(np.log(text_probs + 1e-9), self._transitions)
            out.append(
                bio_spans(
                    text_words.spans,
                    [self.labels[t] for t in tags],
                    text_probs[np.arange(size), tags],
                )
            )
            begin = end
        return out

    def _merge(self, text: str, spans: Iterable[TaggedSpan]) -> tuple[Entity, ...]:
        found = list(rule_entities(text)) if self.use_rules else []
        found = [e.model_copy(update={"confidence": _RULE_CONFIDENCE}) for e in found]
        taken = [(e.start, e.end) for e in found]
        for label, start, end, confidence in spans:
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            found.append(
                Entity(
                    type=WNUT_TYPES[label],
                    text=text[start:end],
                    start=start,
                    end=end,
                    confidence=round(float(confidence), 4),
                )
            )
        return tuple(sorted(found, key=lambda e: (e.start, e.end)))


def viterbi(emissions: NDArray[np.float32], transitions: NDArray[np.float32]) -> list[int]:
    """Most likely tag sequence; `transitions[0]` scores the first tag, `[i + 1, j]` tag i -> j
    (log-probabilities)."""
    if not len(emissions):
        return []
    score = transitions[0] + emissions[0]
    back = np.zeros(emissions.shape, dtype=np.int64)
    for position in range(1, len(emissions)):
        candidates = score[:, None] + transitions[1:]
        back[position] = candidates.argmax(axis=0)
        score = candidates.max(axis=0) + emissions[position]
    path = [int(score.argmax())]
    for position in range(len(emissions) - 1, 0, -1):
        path.append(int(back[position, path[-1]]))
    return path[::-1]


def bio_spans(
    spans: Sequence[tuple[int, int]], tags: Sequence[str], confidence: NDArray[np.float32]
) -> list[TaggedSpan]:
    """BIO tags -> spans; an I- tag that does not continue its type opens a new span. Each
    span runs from its first word's start to its last word's end, scored by their mean."""
    out: list[TaggedSpan] = []
    current: list[int] = []
    kind = ""

    def close() -> None:
        if current:
            start, end = spans[current[0]][0], spans[current[-1]][1]
            out.append((kind, start, end, float(np.mean(confidence[current]))))

    for i, tag in enumerate(tags):
        prefix, _, label = tag.partition("-")
        if prefix == "I" and current and label == kind:
            current.append(i)
            continue
        close()
        current, kind = ([i], label) if prefix in {"B", "I"} else ([], "")
    close()
    return out
