"""Hand-written text for the demo traffic: everyday questions, answers and the phrasing around them.

All of it was written for this project (no third-party text), so it can ship in the repo. Answers are
tuples of paragraphs; `caveat` is an honest, specific limitation that `demo_data` weaves in after the
first paragraph, which is what a good answer does and what a wrapper detector must not flag.
"""

from __future__ import annotations

import random
from typing import NamedTuple


class QA(NamedTuple):
    domain: str
    questions: tuple[str, ...]
    answer: tuple[str, ...]
    caveat: str = ""


QAS: tuple[QA, ...] = (
    QA(
        "coding",
        ("How do I reverse a list in Python?", "what's the pythonic way to reverse a list"),
        (
            "Use slicing for a reversed copy: `items[::-1]`. If you want to reverse the list in place, call "
            "`items.reverse()`, which returns None.",
            "For iterating backwards without copying, `reversed(items)` gives you an iterator.",
        ),
        "`reversed()` only works on sequences, so a generator has to be turned into a list first.",
    ),
    QA(
        "coding",
        ("How can I read a CSV file with pandas?", "Load a csv into pandas, how?"),
        (
            '`import pandas as pd` and then `df = pd.read_csv("data.csv")`. Pass `sep=";"` for semicolon files '
            'and `parse_dates=["date"]` to get real datetime columns.',
            "`df.head()` shows the first rows so you can check the columns came through as expected.",
        ),
        'If the file was exported from Excel on Windows you may need `encoding="cp1252"` instead of UTF-8.',
    ),
    QA(
        "coding",
        ("What's the difference between git merge and git rebase?",),
        (
            "Both bring changes from one branch into another. Merge keeps history as it happened and adds a merge "
            "commit; rebase replays your commits on top of the other branch so history is linear.",
            "A common rule: rebase your own local work, merge shared branches.",
        ),
        "Rebasing rewrites commit hashes, so never rebase commits other people have already pulled.",
    ),
    QA(
        "coding",
        ("How do I undo my last git commit but keep the changes?",),
        (
            "Run `git reset --soft HEAD~1`. The commit disappears and its changes stay staged, ready to be "
            "edited and committed again.",
        ),
        "If you already pushed that commit, use `git revert` instead so you don't rewrite shared history.",
    ),
    QA(
        "coding",
        ("Why does my JavaScript `for` loop with `var` print the same number every time?",),
        (
            "`var` is function-scoped, so every callback closes over the same variable, which holds the final "
            "value by the time they run. Switch to `let`, which creates a fresh binding per iteration.",
        ),
    ),
    QA(
        "coding",
        ("How do I center a div horizontally and vertically?", "css: center a div in the page?"),
        (
            "The shortest modern way is on the parent: `display: grid; place-items: center;`. With flexbox it is "
            "`display: flex; justify-content: center; align-items: center;`.",
            "Give the parent a height (for example `min-height: 100vh`) or there is no vertical space to center in.",
        ),
    ),
    QA(
        "coding",
        ("Write a SQL query that counts orders per customer.",),
        (
            "```sql\nSELECT customer_id, COUNT(*) AS orders\nFROM orders\n"
            "GROUP BY customer_id\nORDER BY orders DESC;\n```",
            "Add `HAVING COUNT(*) > 1` if you only want repeat customers.",
        ),
        "Customers with zero orders won't appear; join from the customers table with a LEFT JOIN to include them.",
    ),
    QA(
        "cooking",
        ("How long should I boil an egg for a runny yolk?", "soft boiled egg timing?"),
        (
            "Lower the eggs into water that is already boiling and cook for 6 minutes, then move them to cold "
            "water for a minute to stop the cooking.",
            "For a jammy, just-set yolk go to 7 minutes; for hard boiled, 10 to 11.",
        ),
        "Those times are for large eggs straight from the fridge; at high altitude water boils cooler, so add "
        "a minute or so.",
    ),
    QA(
        "cooking",
        ("What can I use instead of buttermilk?", "I don't have buttermilk, what can I substitute?"),
        (
            "Stir 1 tablespoon of lemon juice or white vinegar into a cup of milk and let it stand for 5 to 10 "
            "minutes until it thickens slightly.",
            "Plain yogurt thinned with a little milk also works well in pancakes and cakes.",
        ),
        "Plant milks curdle less, so the texture of the bake will be a bit denser with oat or almond milk.",
    ),
    QA(
        "cooking",
        ("How do I cook fluffy rice on the stove?",),
        (
            "Rinse the rice until the water runs mostly clear. Use about 1.5 cups of water per cup of long-grain "
            "rice, bring to a boil, cover, and simmer on the lowest heat for 15 minutes.",
            "Take it off the heat and leave it covered for 10 minutes before fluffing with a fork.",
        ),
        "Brown rice needs more water (about 2 cups) and around 40 minutes.",
    ),
    QA(
        "cooking",
        ("Why did my bread come out dense?",),
        (
            "The usual causes are under-proofing, too little kneading, or too much flour. The dough should roughly "
            "double and spring back slowly when you press it.",
            "Weighing flour instead of using cups helps a lot.",
        ),
        "Old yeast is another suspect: if it doesn't foam in warm water with a pinch of sugar within 10 minutes, "
        "replace it.",
    ),
    QA(
        "cooking",
        ("How long does cooked chicken keep in the fridge?",),
        (
            "Cooked chicken keeps 3 to 4 days in the fridge in a closed container. Cool it and refrigerate it within "
            "two hours of cooking.",
        ),
        "That assumes your fridge is at 4 °C (40 °F) or colder.",
    ),
    QA(
        "travel",
        ("What should I pack for a week in Lisbon in spring?",),
        (
            "Layers: t-shirts, a light sweater, and a rain jacket, since April days are mild but evenings get cool. "
            "Bring comfortable shoes with grip; the hills and polished stone pavements are slippery.",
            "A small day bag and a refillable water bottle round it out.",
        ),
    ),
    QA(
        "travel",
        ("How early should I get to the airport for an international flight?",),
        (
            "Aim for about 3 hours before departure for international flights and 2 hours for domestic ones. "
            "Check-in and bag drop usually close 45 to 60 minutes before departure.",
        ),
        "Some large hubs ask for more during holiday peaks, so check your airline's page the day before.",
    ),
    QA(
        "travel",
        ("Tips for dealing with jet lag?", "how do I beat jet lag after a long flight"),
        (
            "Shift your sleep an hour toward the destination's time for a few days before you leave. On arrival, "
            "get daylight in the morning and avoid long naps.",
            "Stay hydrated and go easy on alcohol during the flight.",
        ),
    ),
    QA(
        "travel",
        ("Is it better to exchange money before I travel or at my destination?",),
        (
            "Usually neither: withdrawing from a local ATM with a card that has no foreign fees gives the best rate. "
            "Airport exchange counters tend to have the worst rates.",
            "Carry a small amount of cash for the first taxi or snack.",
        ),
        "If a card terminal offers to charge you in your home currency, decline; that conversion rate is poor.",
    ),
    QA(
        "writing",
        ("Can you help me write a polite email asking for a deadline extension?",),
        (
            "Sure. Subject: Request for a short extension\n\nHi Dana,\n\nI'm working on the report due Friday and "
            "want to get the analysis right rather than rush it. Would it be possible to move the deadline to "
            "Tuesday? I'll send a draft of the first section by Thursday so you can see where it's heading.\n\n"
            "Thanks for considering it,\nSam",
        ),
    ),
    QA(
        "writing",
        ("What's the difference between 'affect' and 'effect'?",),
        (
            "In most cases 'affect' is the verb (the rain affected our plans) and 'effect' is the noun (the rain had "
            "an effect on our plans).",
            "A memory trick: Affect is an Action, Effect is the End result.",
        ),
        "There are exceptions: 'effect' can be a verb meaning to bring about (to effect change).",
    ),
    QA(
        "writing",
        ("How do I make my cover letter stand out?",),
        (
            "Open with a specific reason you want this job at this company, not a summary of your CV. Pick two "
            "accomplishments that match the posting and give numbers for them.",
            "Keep it under a page and end with a clear, confident line about next steps.",
        ),
    ),
    QA(
        "writing",
        ("Give me a catchy title for a blog post about houseplants for beginners.",),
        (
            "A few options: 'Hard to Kill: Houseplants for People Who Forget to Water', 'Your First Five Plants', "
            "or 'Green Thumb Not Required'.",
        ),
    ),
    QA(
        "science",
        ("Why is the sky blue?", "why is the sky blue and not purple"),
        (
            "Sunlight is scattered by the molecules in the air, and shorter wavelengths scatter much more than "
            "longer ones (Rayleigh scattering). Blue light is scattered across the whole sky, so that's what you "
            "see when you look away from the sun.",
            "Violet scatters even more, but sunlight contains less of it and our eyes are less sensitive to it.",
        ),
    ),
    QA(
        "science",
        ("How do vaccines work?",),
        (
            "A vaccine shows your immune system a harmless piece or version of a germ. Your body makes antibodies "
            "and memory cells against it, so if the real germ turns up later it is recognized and cleared faster.",
        ),
    ),
    QA(
        "science",
        ("What is the difference between weather and climate?",),
        (
            "Weather is the state of the atmosphere over hours or days; climate is the average and range of weather "
            "in a place over decades, typically 30 years.",
        ),
    ),
    QA(
        "science",
        ("How far away is the Moon?",),
        ("On average about 384,400 km (roughly 238,900 miles). Light covers that in about 1.3 seconds.",),
        "The orbit is elliptical, so the distance varies between about 363,000 and 405,000 km.",
    ),
    QA(
        "science",
        ("Why do we have seasons?",),
        (
            "Earth's axis is tilted about 23.4 degrees. For part of the year your hemisphere leans toward the sun and "
            "gets more direct light and longer days; that's summer.",
            "It is not because Earth is closer to the sun: Earth is actually closest in early January.",
        ),
    ),
    QA(
        "finance",
        ("What is an index fund?", "can you explain index funds simply"),
        (
            "An index fund holds all (or a sample) of the stocks or bonds in a market index, such as the S&P 500, "
            "instead of picking winners. Because nobody is picking, fees are usually low.",
            "You get the market's return minus a small fee, which over long periods beats most actively managed funds.",
        ),
        "Past returns say nothing certain about the next few years, and a broad index still falls when the whole "
        "market falls.",
    ),
    QA(
        "finance",
        ("How big should my emergency fund be?",),
        (
            "A common target is three to six months of essential expenses: rent, food, utilities, insurance and "
            "minimum debt payments.",
            "Keep it somewhere easy to reach, like a high-yield savings account.",
        ),
        "If your income is irregular or you're the only earner in the household, lean toward the higher end.",
    ),
    QA(
        "finance",
        ("What's the difference between a Roth IRA and a traditional IRA?",),
        (
            "With a traditional IRA you may deduct contributions now and pay tax when you withdraw in retirement. "
            "With a Roth you contribute taxed money and qualified withdrawals are tax-free.",
            "Roughly: Roth makes sense if you expect a higher tax rate later, traditional if you expect a lower one.",
        ),
        "Roth contributions phase out above certain income limits, which change every year.",
    ),
    QA(
        "finance",
        ("Should I pay off my credit card or invest?",),
        (
            "Pay off the credit card first. Card interest is often 20% or more, and no investment reliably earns "
            "that, so paying it down is a guaranteed return.",
        ),
        "The one exception is an employer 401(k) match: "
        "contribute enough to get the full match, since that is an instant 50 to 100% return.",
    ),
    QA(
        "health",
        ("How much water should I drink a day?",),
        (
            "There isn't one number for everyone. A rough guide is around 2.7 litres of total water a day for women "
            "and 3.7 for men, including the water in food.",
            "Pale yellow urine is a practical sign you're drinking enough.",
        ),
        "You need more in hot weather or when exercising.",
    ),
    QA(
        "everyday",
        ("How do I get a red wine stain out of a carpet?",),
        (
            "Blot (don't rub) as much as you can with a clean cloth. Pour a little cold water on it and blot again, "
            "then apply a mix of one tablespoon of dish soap and one of white vinegar in two cups of warm water.",
            "Blot until it lifts, rinse with cold water, and blot dry.",
        ),
        "Test the mix on a hidden spot first; wool carpets can react badly to some cleaners.",
    ),
    QA(
        "everyday",
        ("What's a good way to remember people's names?",),
        (
            'Say the name back when you\'re introduced ("Nice to meet you, Priya"), use it once more in the '
            "conversation, and link it to something about the person.",
        ),
    ),
    QA(
        "everyday",
        ("How often should I water a snake plant?",),
        (
            "Let the soil dry out completely between waterings, which usually means every two to three weeks, and "
            "less in winter.",
            "Overwatering is the most common way to kill one.",
        ),
    ),
    QA(
        "coding",
        ("How do I check which process is using port 8080?", "what's listening on port 8080, how do I find out"),
        (
            "On Linux or macOS run `lsof -i :8080`; the PID column tells you the process. On Linux `ss -ltnp "
            "| grep 8080` works too. On Windows use `netstat -ano | findstr :8080` and look the PID up in Task "
            "Manager.",
        ),
        "You may need `sudo` to see processes owned by other users.",
    ),
    QA(
        "coding",
        ("What does `async`/`await` actually do in Python?",),
        (
            "`async def` makes a coroutine: calling it returns an object instead of running the body. `await` "
            "pauses that coroutine until the awaited thing finishes, letting the event loop run other coroutines "
            "meanwhile.",
            "It helps when you wait on I/O (network, disk); it does not make CPU-heavy code faster.",
        ),
        "One blocking call such as `time.sleep()` inside a coroutine stalls every other task on the loop.",
    ),
    QA(
        "cooking",
        ("How do I keep avocado from turning brown?", "stop guacamole going brown?"),
        (
            "Squeeze lemon or lime juice over the cut surface and press plastic wrap directly onto it so no air "
            "touches it. For guacamole, a thin layer of water on top (poured off before serving) works surprisingly "
            "well.",
        ),
        "These slow browning for a day or so; they don't stop it completely.",
    ),
    QA(
        "cooking",
        ("Can I freeze cooked pasta?",),
        (
            "Yes. Cook it a minute short of al dente, toss with a little oil, and freeze in portions. Reheat "
            "straight from frozen in boiling water for about a minute, or in the sauce.",
        ),
    ),
    QA(
        "travel",
        ("Do I need a visa for a short trip to Japan?",),
        (
            "Citizens of around 70 countries, including the US, UK, Canada, Australia and most of the EU, can "
            "visit Japan visa-free for up to 90 days as tourists. Your passport should be valid for the whole stay.",
        ),
        "Visa rules change and depend on your exact passport, so confirm on Japan's foreign ministry site "
        "before you book.",
    ),
    QA(
        "travel",
        ("What's the best way to get cheap flights?",),
        (
            "Be flexible: compare whole months in a fare calendar, consider nearby airports, and fly midweek. Set "
            "price alerts instead of checking every day, and book roughly 1 to 3 months ahead for short-haul.",
        ),
        "Budget fares often exclude cabin bags and seat choice, so add those before comparing prices.",
    ),
    QA(
        "writing",
        ("Can you make this sentence more concise: 'Due to the fact that we were late, we missed the bus.'",),
        ("'Because we were late, we missed the bus.' Or, shorter still: 'We were late and missed the bus.'",),
    ),
    QA(
        "writing",
        ("When should I use a semicolon?",),
        (
            "Use a semicolon to join two complete sentences that are closely related: 'It rained all day; the "
            "match was cancelled.' It can also separate items in a list when the items already contain commas.",
        ),
    ),
    QA(
        "science",
        ("What's the difference between a virus and bacteria?",),
        (
            "Bacteria are single-celled living organisms that can reproduce on their own; viruses are much smaller "
            "and can only reproduce inside a host's cells.",
            "That's why antibiotics work against bacteria but do nothing against viruses like the flu.",
        ),
    ),
    QA(
        "finance",
        ("What's a credit score and how do I improve it?",),
        (
            "A credit score estimates how likely you are to repay debt, based on your credit history. The biggest "
            "factors are paying on time and keeping balances low relative to your limits (under about 30%).",
            "Don't close your oldest card, and apply for new credit only when you need it.",
        ),
        "Scoring models differ by country; this describes the common US FICO-style scores.",
    ),
    QA(
        "everyday",
        ("How do I fix a squeaky door hinge?",),
        (
            "Lift the hinge pin out with a screwdriver and hammer, wipe it, coat it with a little petroleum jelly "
            "or a silicone lubricant, and tap it back in. Open and close the door a few times to work it in.",
        ),
    ),
    QA(
        "everyday",
        ("How can I fall asleep faster?",),
        (
            "Keep a regular wake-up time, even at weekends, and get daylight soon after waking. Stop caffeine "
            "after early afternoon, keep the bedroom cool and dark, and if you're awake for more than 20 minutes, "
            "get up and do something quiet until you feel sleepy.",
        ),
        "If you snore loudly or wake up gasping, mention it to a doctor: sleep apnoea is common and treatable.",
    ),
)

CITIES = (
    "Lisbon",
    "Kyoto",
    "Mexico City",
    "Edinburgh",
    "Hanoi",
    "Vancouver",
    "Marrakesh",
    "Prague",
    "Cape Town",
    "Buenos Aires",
    "Seoul",
    "Reykjavik",
    "Istanbul",
    "Melbourne",
)
SEASONS = ("spring", "summer", "autumn", "winter")
LANGUAGES = {
    "Python": "sorted(words, key=len)",
    "JavaScript": "words.sort((a, b) => a.length - b.length)",
    "Go": "sort.Slice(words, func(i, j int) bool { return len(words[i]) < len(words[j]) })",
    "Rust": "words.sort_by_key(|w| w.len());",
    "Java": "words.sort(Comparator.comparingInt(String::length));",
    "Ruby": "words.sort_by(&:length)",
}


def compound_interest(rng: random.Random) -> tuple[str, str, str]:
    principal, rate, years = (
        rng.choice((1000, 2500, 5000, 10000, 20000)),
        rng.choice((3, 4, 5, 6, 7)),
        rng.choice((5, 10, 15, 20, 30)),
    )
    total = principal * (1 + rate / 100) ** years
    question = f"If I invest ${principal:,} at {rate}% a year for {years} years, how much will I have?"
    answer = (
        f"With annual compounding: {principal:,} x 1.{rate:02d}^{years} = about ${total:,.0f}. That is "
        f"${total - principal:,.0f} of growth, most of it in the later years, which is compounding at work."
    )
    return "finance", question, answer


def temperature(rng: random.Random) -> tuple[str, str, str]:
    f = rng.choice((325, 350, 375, 400, 425, 450))
    c = (f - 32) * 5 / 9
    question = rng.choice((f"My recipe says {f}°F. What is that in Celsius?", f"convert {f} F to C for my oven"))
    answer = (
        f"{f}°F is about {c:.0f}°C. In a fan (convection) oven, recipes usually come out right about "
        f"20°C lower, so around {c - 20:.0f}°C."
    )
    return "cooking", question, answer


def sort_by_length(rng: random.Random) -> tuple[str, str, str]:
    lang = rng.choice(sorted(LANGUAGES))
    question = f"How do I sort a list of strings by length in {lang}?"
    answer = f"In {lang}: `{LANGUAGES[lang]}`. Ties keep their original order, since the sort is stable."
    if lang == "Go":
        answer = answer.replace(
            "Ties keep their original order, since the sort is stable.",
            "Use `sort.SliceStable` if ties must keep their original order.",
        )
    return "coding", question, answer


def city_trip(rng: random.Random) -> tuple[str, str, str]:
    city, season, days = rng.choice(CITIES), rng.choice(SEASONS), rng.choice((2, 3, 4, 5, 7))
    question = rng.choice(
        (
            f"I have {days} days in {city} in {season}. How should I plan them?",
            f"planning a {days}-day trip to {city} this {season}, any advice on structure?",
        )
    )
    answer = (
        f"For {days} days in {city}, spend day one walking the historic centre to get your bearings, then "
        f"give each following day one neighbourhood and one big sight, booked in advance where tickets sell "
        f"out. Leave one afternoon unplanned. In {season}, check sunset times and plan outdoor things "
        f"accordingly, and use public transport passes, which usually pay off after a few rides."
    )
    return "travel", question, answer


def savings_goal(rng: random.Random) -> tuple[str, str, str]:
    goal, months = rng.choice((1200, 3000, 5000, 8000, 15000)), rng.choice((6, 10, 12, 18, 24))
    question = f"I want to save ${goal:,} in {months} months. How much per month is that?"
    answer = (
        f"${goal:,} / {months} = about ${goal / months:,.0f} a month. Set up an automatic transfer on "
        f"payday so it happens before you can spend it, and keep the money in a separate savings account."
    )
    return "finance", question, answer


def scale_recipe(rng: random.Random) -> tuple[str, str, str]:
    base, target = rng.choice((2, 4, 6)), rng.choice((3, 5, 8, 10, 12))
    flour = rng.choice((200, 250, 300, 400))
    question = f"A recipe for {base} people uses {flour} g of flour. How much do I need for {target}?"
    answer = (
        f"Multiply by {target}/{base}: {flour} x {target / base:.2f} = about {flour * target / base:.0f} g. "
        f"Scale the other ingredients by the same factor, but add salt and spices gradually and taste."
    )
    return "cooking", question, answer


GENERATORS = (compound_interest, temperature, sort_by_length, city_trip, savings_goal, scale_recipe)

USER_OPENERS = (
    "",
    "",
    "",
    "",
    "Quick question: ",
    "Hi! ",
    "Hey, ",
    "Hello. ",
    "Can you help? ",
    "ok so ",
    "I've been wondering: ",
    "Sorry if this is basic, but ",
)
USER_CLOSERS = ("", "", "", "", " Thanks!", " thanks", " Keep it short please.", " Thank you in advance.", " :)")
ANSWER_OPENERS = ("", "", "", "Sure! ", "Good question. ", "Here's how. ", "Happy to help. ", "Short answer: ")
ANSWER_CLOSERS = (
    "",
    "",
    "",
    "",
    "Hope that helps!",
    "Let me know if you want more detail.",
    "Want me to go into any step in more depth?",
    "Good luck!",
)

WRAPPER_OPENERS = (
    "As an AI language model, I don't have personal experience, but I can share some general information.",
    "As an AI, I can't be certain about your specific situation, but here is some general guidance.",
    "I'm just an AI, so please take this with a grain of salt.",
    "I must note that I am not a professional and this is not professional advice.",
    "Before I answer, I should point out that every situation is different.",
    "It's important to note that I am an AI and my answers may not always be accurate.",
    "I don't have personal opinions, but I can offer some general information on this topic.",
    "While I strive to provide accurate information, I must emphasize that I am only an AI.",
    "This information is for informational purposes only.",
)
WRAPPER_CLOSERS = (
    "It's important to consult a professional before making any decisions.",
    "Please note that this is general information and may not apply to your situation.",
    "Always consult a qualified professional for advice tailored to your circumstances.",
    "Remember that I am an AI and cannot guarantee the accuracy of this information.",
    "I hope this helps, but please do your own research and consult an expert if in doubt.",
    "Please remember that everyone's situation is unique, so it's important to seek expert guidance.",
    "Note that this information may be outdated or incomplete; verify it with a trusted source.",
    "Ultimately, it's important to remember that you should make the decision that is right for you.",
)
# Some leads contain phrases a keyword list flags ("note that"): the caveat that follows is still specific.
CAVEAT_LEADS = (
    "One thing to watch: ",
    "Caveat: ",
    "A detail that matters: ",
    "",
    "",
    "Heads-up: ",
    "Note that ",
    "Keep in mind that ",
    "It's important to note that ",
    "Remember that ",
)
