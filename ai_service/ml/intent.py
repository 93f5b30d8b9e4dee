"""Intent classification: CLINC150's 150 intents on the shared encoder, mapped to the assistant's.

The assistant's intents (the names the chat pipeline's skills use, see `nlu.baseline`):

* greeting, goodbye, thanks, help <- greeting, goodbye, thank_you, what_can_i_ask_you
* time, date, weather, arithmetic <- time + timezone, date, weather, calculator
* reminder <- reminder(_update), alarm, timer, todo_list(_update), shopping_list(_update),
  calendar(_update)
* recommendation_request <- meal_suggestion, restaurant_suggestion, travel_suggestion
* account_settings <- user_name, change_user_name, change_ai_name, change_language,
  change_accent, change_speed, change_volume, reset_settings, whisper_mode, sync_device
* smalltalk <- are_you_a_bot, how_old_are_you, what_are_your_hobbies, what_is_your_name,
  where_are_you_from, who_made_you, who_do_you_work_for, do_you_have_pets, meaning_of_life,
  tell_joke, fun_fact, flip_coin, roll_dice, yes, no, maybe, repeat
* task <- every other CLINC intent (banking, travel, kitchen, auto, work, ...): no skill
* out_of_scope <- CLINC `oos`, or the best in-scope probability below the threshold

A rule layer keeps the baseline's deterministic arithmetic pattern and, when the model falls back,
takes the baseline's keyword intent (e.g. "recommend me a book", which CLINC has no intent for).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shared.models.base import Frozen
from shared.models.chat import Intent, IntentRank

from ..nlu.analysis import FALLBACK_INTENT
from ..nlu.baseline import classify_intent as baseline_intent
from .artifacts import ArtifactError, float32_arrays, open_artifact
from .encoder import SentenceEncoder
from .intent_escalation import IntentEscalation
from .probabilities import softmax

OOS_LABEL = "oos"
TASK_INTENT = "task"

_GROUPS: dict[str, tuple[str, ...]] = {
    "greeting": ("greeting",),
    "goodbye": ("goodbye",),
    "thanks": ("thank_you",),
    "help": ("what_can_i_ask_you",),
    "time": ("time", "timezone"),
    "date": ("date",),
    "weather": ("weather",),
    "arithmetic": ("calculator",),
    "reminder": (
        "reminder",
        "reminder_update",
        "alarm",
        "timer",
        "todo_list",
        "todo_list_update",
        "shopping_list",
        "shopping_list_update",
        "calendar",
        "calendar_update",
    ),
    "recommendation_request": ("meal_suggestion", "restaurant_suggestion", "travel_suggestion"),
    "account_settings": (
        "user_name",
        "change_user_name",
        "change_ai_name",
        "change_language",
        "change_accent",
        "change_speed",
        "change_volume",
        "reset_settings",
        "whisper_mode",
        "sync_device",
    ),
    "smalltalk": (
        "are_you_a_bot",
        "how_old_are_you",
        "what_are_your_hobbies",
        "what_is_your_name",
        "where_are_you_from",
        "who_made_you",
        "who_do_you_work_for",
        "do_you_have_pets",
        "meaning_of_life",
        "tell_joke",
        "fun_fact",
        "flip_coin",
        "roll_dice",
        "yes",
        "no",
        "maybe",
        "repeat",
    ),
}
#: CLINC intent -> assistant intent; anything not listed is `task`, `oos` is `out_of_scope`.
ASSISTANT_INTENTS: Mapping[str, str] = {
    clinc: assistant for assistant, members in _GROUPS.items() for clinc in members
}
ASSISTANT_INTENT_NAMES: tuple[str, ...] = (*_GROUPS, TASK_INTENT, FALLBACK_INTENT)


def to_assistant(clinc_intent: str) -> str:
    if clinc_intent == OOS_LABEL:
        return FALLBACK_INTENT
    return ASSISTANT_INTENTS.get(clinc_intent, TASK_INTENT)


class IntentPrediction(Frozen):
    """The assistant-level intent plus the fine-grained CLINC150 intent it came from."""

    intent: Intent
    domain_intent: str
    domain_confidence: float
    rule: str | None = None


def load_clinc(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A CLINC150 (oos-eval) JSON file: {split: [[text, intent], ...]}."""
    raw: dict[str, list[list[str]]] = json.loads(path.read_text())
    return {split: [(text, label) for text, label in rows] for split, rows in raw.items()}


class IntentModel:
    """Loads once (`load`); `predict` classifies a batch."""

    def __init__(
        self,
        *,
        encoder: SentenceEncoder,
        labels: Sequence[str],
        lr_coef: NDArray[np.float32],
        lr_intercept: NDArray[np.float32],
        cosine_weight: NDArray[np.float32],
        alpha: float,
        scale: float,
        threshold: float,
        version: str = "dev",
        escalation: IntentEscalation | None = None,
    ) -> None:
        self.encoder = encoder
        self.labels = tuple(labels)
        if escalation is not None and escalation.labels != self.labels:
            raise ArtifactError("the intent teacher's labels are not the student's")
        self.escalation = escalation
        self._oos = self.labels.index(OOS_LABEL)
        self._lr_coef = lr_coef
        self._lr_intercept = lr_intercept
        self._cosine = cosine_weight
        self.alpha = alpha
        self.scale = scale
        self.threshold = threshold
        self.version = version
        self._assistant = np.array([to_assistant(label) for label in self.labels])
        self._assistant_names = tuple(dict.fromkeys(self._assistant.tolist()))
        self._group = np.array([self._assistant_names.index(a) for a in self._assistant])

    @classmethod
    def load(
        cls,
        directory: Path,
        *,
        encoder: SentenceEncoder,
        check: bool = True,
        threshold: float | None = None,
        escalation: IntentEscalation | None = None,
    ) -> IntentModel:
        """`threshold` replaces the trained out-of-scope threshold (an operator's choice); with
        `escalation` the trained one is the cascade's."""
        card, config = open_artifact(directory, check=check)
        arrays = float32_arrays(directory / "head.npz")
        if threshold is None:
            threshold = float(config["threshold"]) if escalation is None else escalation.threshold
        return cls(
            encoder=encoder,
            labels=config["labels"],
            lr_coef=arrays["lr_coef"],
            lr_intercept=arrays["lr_intercept"],
            cosine_weight=arrays["cosine_weight"],
            alpha=float(config["alpha"]),
            scale=float(config["scale"]),
            threshold=threshold,
            version=str(card.get("version", "dev")),
            escalation=escalation,
        )

    def probabilities(self, embeddings: NDArray[np.float32]) -> NDArray[np.float32]:
        """P(CLINC intent | text) over `labels`, from unit embeddings (n, 384)."""
        cos = softmax(self.scale * (embeddings @ self._cosine.T))
        if self.alpha == 1.0:  # val chose the cosine head alone: the LR head would weigh nothing
            return np.asarray(cos, dtype=np.float32)
        lr = softmax(embeddings @ self._lr_coef.T + self._lr_intercept)
        return np.asarray(self.alpha * cos + (1.0 - self.alpha) * lr, dtype=np.float32)

    def served_probabilities(
        self, texts: Sequence[str], embeddings: NDArray[np.float32]
    ) -> NDArray[np.float32]:
        """`probabilities`, with the rows the student is unsure of re-read by the teacher."""
        probs = self.probabilities(embeddings)
        if self.escalation is None:
            return probs
        unsure = np.flatnonzero(self.escalation.escalated(probs, self._oos))
        if unsure.size:
            probs[unsure] = self.escalation.probabilities([texts[int(i)] for i in unsure])
        return probs

    def predict(self, texts: Sequence[str]) -> list[IntentPrediction]:
        return self.predict_embeddings(texts, self.encoder.encode(texts))

    def predict_embeddings(
        self, texts: Sequence[str], embeddings: NDArray[np.float32]
    ) -> list[IntentPrediction]:
        probs = self.served_probabilities(texts, embeddings)
        grouped = np.zeros((len(texts), len(self._assistant_names)), dtype=np.float32)
        np.add.at(grouped.T, self._group, probs.T)
        return [self._one(text, probs[row], grouped[row]) for row, text in enumerate(texts)]

    def predict_domain(self, texts: Sequence[str], embeddings: NDArray[np.float32]) -> list[str]:
        """The CLINC label (or `oos` when rejected): what the CLINC150 metrics score."""
        return self.domain_labels(self.served_probabilities(texts, embeddings))

    def domain_labels(self, probs: NDArray[np.float32]) -> list[str]:
        """`predict_domain` from probabilities already served (no second teacher pass)."""
        best = probs.argmax(1)
        rejected = (best == self._oos) | (probs.max(1) < self.threshold)
        return [OOS_LABEL if r else self.labels[b] for b, r in zip(best, rejected, strict=True)]

    def _one(
        self, text: str, probs: NDArray[np.float32], grouped: NDArray[np.float32]
    ) -> IntentPrediction:
        best = int(probs.argmax())
        domain = self.labels[best]
        domain_conf = float(probs[best])
        order = np.argsort(-grouped)[:5]
        ranking = tuple(
            IntentRank(name=self._assistant_names[i], confidence=_unit(grouped[i])) for i in order
        )
        rule = baseline_intent(text)
        if rule.name == "arithmetic":
            intent = Intent(name="arithmetic", confidence=rule.confidence, ranking=ranking)
            return IntentPrediction(
                intent=intent,
                domain_intent=domain,
                domain_confidence=domain_conf,
                rule="arithmetic",
            )
        if best == self._oos or domain_conf < self.threshold:
            if rule.name != FALLBACK_INTENT:
                intent = Intent(name=rule.name, confidence=rule.confidence, ranking=ranking)
                return IntentPrediction(
                    intent=intent,
                    domain_intent=OOS_LABEL,
                    domain_confidence=domain_conf,
                    rule="keyword",
                )
            oos_conf = _unit(1.0 - domain_conf if best != self._oos else domain_conf)
            intent = Intent(name=FALLBACK_INTENT, confidence=oos_conf, ranking=ranking)
            return IntentPrediction(
                intent=intent, domain_intent=OOS_LABEL, domain_confidence=domain_conf
            )
        name = str(self._assistant[best])
        confidence = _unit(grouped[self._assistant_names.index(name)])
        return IntentPrediction(
            intent=Intent(name=name, confidence=confidence, ranking=ranking),
            domain_intent=domain,
            domain_confidence=domain_conf,
        )


def score_clinc(
    model: IntentModel,
    in_scope: Sequence[tuple[str, str]],
    out_of_scope: Sequence[tuple[str, str]],
    *,
    batch_size: int = 64,
) -> dict[str, float]:
    """CLINC150 metrics (Larson et al. 2019): in-scope accuracy and out-of-scope recall.

    `in_scope_accuracy` is the closed-set 150-way accuracy (how BERT's 96.2% is reported);
    `in_scope_accuracy_with_fallback` also counts a wrongly rejected in-scope text as an error.
    `batch_size` matters slightly: the int8 encoder scales activations per batch.
    """
    texts = [t for t, _ in in_scope]
    emb = model.encoder.encode(texts, batch_size=batch_size)
    probs = model.served_probabilities(texts, emb)
    probs_in = probs.copy()
    probs_in[:, model.labels.index(OOS_LABEL)] = -1.0
    gold = np.array([model.labels.index(label) for _, label in in_scope])
    closed = float(np.mean(probs_in.argmax(1) == gold))
    served = model.domain_labels(probs)
    with_fallback = float(np.mean([p == g for p, (_, g) in zip(served, in_scope, strict=True)]))
    metrics: dict[str, float] = {
        "in_scope_accuracy": round(closed, 4),
        "in_scope_accuracy_with_fallback": round(with_fallback, 4),
        "n_in_scope": float(len(texts)),
    }
    if out_of_scope:
        oos_texts = [t for t, _ in out_of_scope]
        oos_pred = model.predict_domain(
            oos_texts, model.encoder.encode(oos_texts, batch_size=batch_size)
        )
        recall = float(np.mean([p == OOS_LABEL for p in oos_pred]))
        metrics["oos_recall"] = round(recall, 4)
        metrics["n_oos"] = float(len(out_of_scope))
        everything = served + oos_pred
        golds = [g for _, g in in_scope] + [OOS_LABEL] * len(out_of_scope)
        metrics["overall_accuracy"] = round(
            float(np.mean([p == g for p, g in zip(everything, golds, strict=True)])), 4
        )
    return metrics


def _unit(value: float | np.floating[Any]) -> float:
    return round(min(1.0, max(0.0, float(value))), 4)
