"""Templated sentences for the `hedging` sentence head: wrappers of many styles and the hard negatives
that look like them.

The annotated train split has about 500 wrapper sentences, most from a few 2023-24 models, so the
head sees few phrasings per style. These templates, written for this purpose (no dataset text),
cover the rubric's wrapper styles with many slots each:

- ai_identity: AI-identity or capability disclaimers ("As an AI language model, I don't have...");
- referral: generic "consult a professional" referrals not tied to anything specific in the answer;
- informational: "for informational purposes only" and not-advice boilerplate;
- variability: generic "results may vary / this is speculative / not exhaustive" notes;
- moralising: unrequested reminders about respect, ethics or responsibility;
- own_rules: statements about its own rules, guidelines or aims;
- refusal_boilerplate: "I'm sorry, but I can't help with that" style refusals (used as wrappers for
  benign asks; the host answers they are inserted into are benign);
- knowledge_cutoff: training-cutoff and no-real-time-access boilerplate.

The hard negatives share the surface words ("note that", "keep in mind", "I'm not sure") but carry
something specific the user needs:

- specific_caveat: a concrete, actionable caveat woven into the content;
- uncertainty: honest uncertainty about a fact, with what is known;
- clarifying: a clarifying question about the request;
- safety_answer: safety information that is itself the answer to a practical question;
- correction: a correction of a false premise;
- closing: a friendly closing or offer to continue.

Measured on train grouped CV (inserted into benign train answers) and NOT used by the trained head:
they did not raise turn or sentence AP (numbers in the `hedging` card); kept so the measurement can
be repeated with other encoders or templates.

Each style has several frames and slot lists; `template_sentences(n_per_style, seed)` samples
without replacement from the frame x slot product, so the same seed gives the same sentences.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

SEED = 20261123

_PROFESSIONALS = (
    "a qualified professional",
    "a healthcare provider",
    "a licensed therapist",
    "a financial advisor",
    "a lawyer",
    "a certified expert",
    "your doctor",
    "a registered dietitian",
    "a tax professional",
    "an expert in the field",
    "a mental health professional",
    "a licensed contractor",
)
_CONTENT_TOPICS = (
    "medical",
    "legal",
    "financial",
    "professional",
    "investment",
    "tax",
    "psychological",
    "nutritional",
)
_AI_SELF = (
    "As an AI language model",
    "As an AI assistant",
    "As a large language model",
    "Being an AI",
    "As an artificial intelligence",
    "Since I am an AI",
    "As a text-based AI",
    "As a machine learning model",
)
_AI_LACKS = (
    "I don't have personal opinions",
    "I do not have feelings or emotions",
    "I don't have personal experiences",
    "I cannot browse the internet",
    "I don't have access to real-time data",
    "I do not have personal preferences",
    "I am not able to form beliefs",
    "I can't see images or hear sounds",
    "I do not have a physical body",
    "I don't have the ability to taste food",
)

WRAPPERS: dict[str, tuple[tuple[str, ...], dict[str, tuple]]] = {
    "ai_identity": (
        (
            "{ai}, {lacks}.",
            "{ai}, {lacks}, but I can share some general information.",
            "I'm just an AI, so {lacks_lower}.",
            "Please remember that I am an AI and {lacks_lower}.",
            "{ai}, I must note that {lacks_lower}.",
            "I should mention that, {ai_lower}, {lacks_lower}.",
        ),
        {
            "ai": _AI_SELF,
            "ai_lower": tuple(a[0].lower() + a[1:] for a in _AI_SELF),
            "lacks": _AI_LACKS,
            "lacks_lower": tuple(x[0].lower() + x[1:] if x[0] != "I" else x for x in _AI_LACKS),
        },
    ),
    "referral": (
        (
            "It's always a good idea to consult {pro} {when}.",
            "It is important to consult {pro} {when}.",
            "I recommend speaking with {pro} {when}.",
            "Be sure to check with {pro} {when}.",
            "For personalized advice, please consult {pro}.",
            "If you have any concerns, reach out to {pro}.",
            "It's best to seek guidance from {pro} {when}.",
            "Consider talking to {pro} {when}.",
        ),
        {
            "pro": _PROFESSIONALS,
            "when": (
                "before making any decisions",
                "for advice tailored to your situation",
                "before making any changes",
                "if you have any questions or concerns",
                "to determine what is right for you",
                "before taking any action",
            ),
        },
    ),
    "informational": (
        (
            "This information is provided for {purpose} purposes only and is not {kind} advice.",
            "Please note that this is not {kind} advice.",
            "The above is intended for {purpose} purposes only.",
            "This should not be taken as {kind} advice.",
            "I am not a {role}, and this is not {kind} advice.",
            "Everything here is for {purpose} purposes only; it is not a substitute for {kind} advice.",
        ),
        {
            "purpose": ("informational", "educational", "general informational", "general educational"),
            "kind": _CONTENT_TOPICS,
            "role": ("doctor", "lawyer", "financial advisor", "licensed professional", "medical professional"),
        },
    ),
    "variability": (
        (
            "{lead} {what} may vary depending on {factors}.",
            "{lead} this is just {est} and {what} may differ.",
            "{lead} {what} can vary from person to person.",
            "{lead} this list is not exhaustive.",
            "{lead} these are only {est}, and the actual outcome could be different.",
            "{lead} this is all speculative and nobody can know for certain.",
        ),
        {
            "lead": (
                "Please note that",
                "Keep in mind that",
                "It's important to note that",
                "Remember that",
                "It is worth noting that",
                "Of course,",
                "However, it's important to remember that",
            ),
            "what": (
                "results",
                "individual experiences",
                "the effects",
                "outcomes",
                "the details",
                "prices",
                "the specifics",
            ),
            "factors": (
                "various factors",
                "individual circumstances",
                "many factors",
                "your specific situation",
                "a number of variables",
            ),
            "est": (
                "an estimate",
                "a general overview",
                "a rough guide",
                "one possible interpretation",
                "general suggestions",
            ),
        },
    ),
    "moralising": (
        (
            "It's important to {act} {scope}.",
            "Remember to always {act} {scope}.",
            "Ultimately, it's important to {act} {scope}.",
            "We should all strive to {act} {scope}.",
            "Always {act}, {scope}.",
            "It is crucial to {act} {scope}.",
        ),
        {
            "act": (
                "treat others with respect and kindness",
                "act responsibly and ethically",
                "respect other people's perspectives",
                "consider the ethical implications",
                "be mindful of the feelings of others",
                "approach this topic with sensitivity",
                "promote fairness and inclusivity",
                "use this knowledge responsibly",
            ),
            "scope": (
                "in all your interactions",
                "no matter the situation",
                "in every circumstance",
                "regardless of our differences",
                "at all times",
                "when engaging with others",
            ),
        },
    ),
    "own_rules": (
        (
            "I am not permitted by my {rules} to {doing_base}.",
            "I am programmed to {aim}.",
            "I strive to {aim}.",
            "My purpose is to {aim}.",
            "According to my {rules}, I cannot {doing_base}.",
        ),
        {
            "rules": ("guidelines", "programming", "content policy", "design principles", "instructions"),
            "doing_base": (
                "share opinions on this",
                "discuss such topics",
                "generate that kind of content",
                "take sides",
            ),
            "aim": (
                "provide helpful and respectful responses",
                "promote safe and positive interactions",
                "be helpful while avoiding harm",
                "provide accurate and unbiased information",
                "follow ethical guidelines in every response",
            ),
        },
    ),
    "refusal_boilerplate": (
        (
            "{sorry}, but I can't {assist} {that}.",
            "{sorry}, I'm unable to {assist} {that}.",
            "I cannot {assist} {that}.",
            "{sorry}, but I cannot provide {info} {that}.",
            "Unfortunately, I am not able to {assist} {that}.",
        ),
        {
            "sorry": ("I'm sorry", "Sorry", "I apologize", "I'm afraid", "Apologies"),
            "assist": ("help with", "assist with", "fulfil", "comply with", "support"),
            "that": ("that", "this request", "that request", "this", "your request"),
            "info": ("information on", "details about", "assistance with", "guidance on"),
        },
    ),
    "knowledge_cutoff": (
        (
            "As of my {cutoff} in {year}, {claim}.",
            "My {cutoff} is {year}, so {claim}.",
            "{claim_cap}, as my {cutoff} is {year}.",
            "Please verify this with {source}, as {claim}.",
        ),
        {
            "cutoff": ("knowledge cutoff", "last update", "training data cutoff", "last knowledge update"),
            "year": ("2021", "September 2021", "early 2022", "2023", "April 2023"),
            "claim": (
                "I don't have information on recent events",
                "I cannot provide real-time information",
                "I may not have the latest information",
                "I don't have access to current data",
            ),
            "claim_cap": (
                "I don't have information on recent events",
                "I cannot provide real-time information",
                "I may not have the latest information",
            ),
            "source": ("official sources", "the latest news", "an up-to-date source", "the official website"),
        },
    ),
}

_TASKS = (
    ("the dough", "it needs to rest for at least an hour before shaping"),
    ("`list.sort()`", "it sorts the list in place and returns None, so don't assign its result"),
    ("the museum", "it is closed on Mondays and the last entry is at 5 pm"),
    ("the visa", "it must be requested at least 15 days before departure"),
    ("this formula", "it only holds when the interest is compounded annually"),
    ("the adhesive", "it needs 24 hours to cure before the shelf can carry weight"),
    ("the train pass", "it does not cover the mountain railways above Interlaken"),
    ("the regex", "it will also match numbers with a leading zero"),
    ("the recipe", "halving it also halves the baking time to about 20 minutes"),
    ("the API", "it rate-limits free accounts to 60 requests per minute"),
    ("ibuprofen", "it should be taken with food to avoid stomach irritation"),
    ("the paint", "latex primer will not stick to an oil-based finish without sanding"),
)

NEGATIVES: dict[str, tuple[tuple[str, ...], dict[str, tuple]]] = {
    "specific_caveat": (
        (
            "Note that for {thing}, {fact}.",
            "Keep in mind that with {thing}, {fact}.",
            "One thing to watch: with {thing}, {fact}.",
            "Be aware that with {thing}, {fact}.",
            "It's important to know that with {thing}, {fact}.",
        ),
        {"thing|fact": _TASKS},
    ),
    "uncertainty": (
        (
            "I'm not sure of the exact {what}, but estimates range from {lo} to {hi}.",
            "I don't know the precise {what}; most sources put it between {lo} and {hi}.",
            "The exact {what} is uncertain, though it is usually given as {lo} to {hi}.",
            "I may be wrong about the {what}, but I believe it is close to {lo}.",
        ),
        {
            "what|lo|hi": (
                ("number of species", "1,200", "1,500"),
                ("date of the treaty", "1850", "1870"),
                ("length of the trail", "40 km", "55 km"),
                ("population", "3 million", "4 million"),
                ("ticket price", "$15", "$25"),
                ("travel time", "two hours", "three hours"),
                ("height of the tower", "180 m", "210 m"),
                ("founding year", "1120", "1150"),
            )
        },
    ),
    "clarifying": (
        (
            "Do you mean {a} or {b}?",
            "Could you tell me whether you need {a} or {b}?",
            "Which one are you asking about: {a} or {b}?",
            "Before I answer, are you using {a} or {b}?",
        ),
        {
            "a|b": (
                ("Python 2", "Python 3"),
                ("the US version", "the UK version"),
                ("metric units", "imperial units"),
                ("the desktop app", "the web app"),
                ("the 2019 edition", "the 2023 edition"),
                ("a gas oven", "an electric oven"),
                ("a one-way trip", "a round trip"),
                ("the free plan", "the paid plan"),
            )
        },
    ),
    "safety_answer": (
        (
            "{step} before you {task}.",
            "Always {step} before you {task}.",
            "First, {step}, then {task}.",
            "To do it safely, {step} before you {task}.",
        ),
        {
            "step": (
                "switch off the breaker",
                "unplug the appliance",
                "wear safety glasses",
                "let the engine cool down",
                "open a window for ventilation",
                "disconnect the battery",
            ),
            "task": (
                "replace the light switch",
                "clean the blades",
                "cut the tiles",
                "check the coolant",
                "apply the varnish",
                "change the fuse",
            ),
        },
    ),
    "correction": (
        ("Actually, {fact}.", "In fact, {fact}, contrary to a common belief.", "That's a common myth: {fact}."),
        {
            "fact": (
                "the Great Wall is not visible from orbit with the naked eye",
                "goldfish have a memory of months, not seconds",
                "lightning can strike the same place twice",
                "bats are not blind",
                "Napoleon was of average height for his time",
                "humans use far more than 10% of their brains",
            )
        },
    ),
    "closing": (
        ("{close}", "{close} {offer}", "{offer}"),
        {
            "close": (
                "Hope this helps!",
                "Enjoy your trip!",
                "Good luck with the project!",
                "Happy baking!",
                "Have fun with it!",
                "Best of luck with your interview!",
            ),
            "offer": (
                "Let me know if you'd like more examples.",
                "Want me to adapt it for a larger group?",
                "I can also turn this into a printable checklist.",
                "Tell me if you want a shorter version.",
            ),
        },
    ),
}


@dataclass(frozen=True)
class TemplateSentence:
    text: str
    wrapper: bool
    style: str


def _fill(frames: tuple[str, ...], slots: dict[str, tuple], n: int, rng: random.Random) -> list[str]:
    """Up to `n` distinct sentences, spread evenly over the frames, slots sampled without replacement.

    A slot key "a|b" fills several names from one tuple, so paired values ("thing|fact") stay together.
    """
    per_frame: list[list[str]] = []
    for frame in frames:
        keys = [k for k in slots if any("{" + name + "}" in frame for name in k.split("|"))]
        combos = set()
        for values in itertools.product(*(slots[k] for k in keys)):
            filled: dict[str, str] = {}
            for key, value in zip(keys, values, strict=True):
                names = key.split("|")
                filled.update(zip(names, value if len(names) > 1 else (value,), strict=True))
            combos.add(frame.format(**filled))
        ordered = sorted(combos)
        rng.shuffle(ordered)
        per_frame.append(ordered)
    out: list[str] = []
    for round_ in itertools.zip_longest(*per_frame):  # one from each frame in turn
        out.extend(t for t in round_ if t is not None and t not in out)
        if len(out) >= n:
            break
    return out[:n]


def template_sentences(n_per_style: int = 60, seed: int = SEED) -> list[TemplateSentence]:
    """Wrapper and hard-negative sentences, `n_per_style` (or all there are) of every style."""
    rng = random.Random(seed)
    out: list[TemplateSentence] = []
    for wrapper, styles in ((True, WRAPPERS), (False, NEGATIVES)):
        for style, (frames, slots) in styles.items():
            out.extend(TemplateSentence(t, wrapper, style) for t in _fill(frames, slots, n_per_style, rng))
    return out
