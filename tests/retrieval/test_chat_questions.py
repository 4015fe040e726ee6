"""Chat cleaning, spelling correction, term weights, the gate, multi-part questions,
--explain and per-corpus text: each rule on its own, then on invented corpora."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval import Engine, english
from retrieval.chat import clean_chat, default_rules, parse_spellings
from retrieval.errors import CorpusError
from retrieval.evaluation import evaluate, load_question_file
from retrieval.gate import MAX_ABSENT_SHARE, MIN_HELD_SHARE, judge, judged_position
from retrieval.parts import split_parts
from retrieval.profile import load_profile
from retrieval.spelling import Speller

RULES = default_rules()
DATA = Path(__file__).resolve().parent.parent / "data"


def clean(text: str, names: tuple[str, ...] = ("careerbot",), corpus: set[str] | None = None) -> str:
    return clean_chat(text, RULES, names, corpus_has=(corpus or set()).__contains__).text


# -- chat cleaning ---------------------------------------------------------------------


def test_greetings_name_fillers_and_emoji_are_removed() -> None:
    out = clean_chat("hey @careerbot quick q 👋 what does an *MLE* do lol", RULES, ("careerbot",))
    assert out.text == "what does an MLE do"
    assert set(out.removed) == {"hey", "@careerbot", "quick q", "lol"}


def test_every_mention_is_removed_but_an_email_address_stays() -> None:
    # Whoever is addressed (another bot's name, a colleague), a mention is not the question.
    assert clean("hey @helpbot @jane.doe whats the wifi password") == "what is the wifi password"
    marked_up = "<@U0123ABC> <@!42> <#C9|general> <!here> who answers pages at night"
    assert clean(marked_up) == clean("who answers pages at night") != ""
    assert clean("is bob@example.com the it desk") == "is bob example com the it desk"


def test_a_lower_case_acronym_plural_meets_its_singular() -> None:
    # "MLEs" was always "mle"; typed in lower case, "mles" stayed whole and was missing.
    engine = Engine.from_corpus()
    analysis = engine.analyze("do mles need more math than swes")
    assert [(c.label, c.kind) for c in analysis.concepts][:1] == [("mle", "corpus")]
    assert ("mles", "mle") in analysis.corrections and ("swes", "swe") in analysis.corrections
    # An English word is never cut to a corpus word ("news" is not "new").
    assert all(w != "news" for w, _ in engine.analyze("any news on MLEs?").corrections)


def test_a_capital_letter_alone_is_a_name_not_a_chat_spelling() -> None:
    assert clean("r u using R or python") == "are you using R or python"
    assert clean("can U help") == "can U help"


def test_links_are_removed_but_their_sentence_stays() -> None:
    out = clean_chat(
        "is this right? https://medium.com/@a/why-mles-are-dead-8a7f6c, (www.x.io/p) thoughts", RULES
    )
    assert out.text == "is this right thoughts"
    assert set(out.removed) == {"https://medium.com/@a/why-mles-are-dead-8a7f6c", "www.x.io/p"}
    assert clean("<https://discord.com/x> what is mlops") == "what is mlops"
    assert clean("node.js or c++ for bob@example.com") == "node js or c++ for bob example com"


def test_a_link_does_not_refuse_the_question_around_it() -> None:
    engine = Engine.from_corpus()
    question = "what does an MLE do all day? https://medium.com/@someone/ml-engineers-8a7f6c"
    assert engine.ask(question).answered
    assert [c.label for c in engine.analyze(question).concepts] == ["mle", "day"]


def test_chat_spellings_are_rewritten() -> None:
    assert clean("whats the diff btw u and ppl w/ 5 yrs exp in prod") == (
        "what is the difference you and people with 5 years experience in production"
    )
    assert clean("dont know, isnt it, theyre") == "do not know is not it they are"


def test_contractions_typed_with_an_apostrophe_are_the_words_they_stand_for() -> None:
    # Before: the analyzer dropped the apostrophe and the speller "corrected" the rest
    # ("don't" -> "done", "isn't" -> "int"), adding a word the asker never meant.
    assert clean("why don't MLEs test, isn't it, they’re sure") == (
        "why do not MLEs test is not it they are sure"
    )
    # Contractions whose bare spelling is another word are listed with their apostrophe only.
    assert clean("i'd ask, we'll see") == "i would ask we will see"
    assert clean("my id badge, ill and well") == "my id badge ill and well"


def test_a_contraction_adds_no_concept_to_the_question() -> None:
    engine = Engine.from_corpus()
    for question in (
        "why don't MLEs write tests?",
        "why isn't an MLE a data scientist?",
        "what would i'd need?",
    ):
        analysis = engine.analyze(question)
        assert not analysis.corrections, question
        labels = {c.label for c in analysis.concepts}
        assert not labels & {"done", "int", "id", "dont", "isnt"}, (question, labels)


def test_a_spelling_the_corpus_itself_uses_is_left_alone() -> None:
    assert clean("how do we deploy to prod", corpus={"prod"}) == "how do we deploy to prod"
    assert clean("how do we deploy to prod") == "how do we deploy to production"


def test_a_vocative_bot_is_removed_only_at_the_start() -> None:
    assert clean("hey bot is it normal") == "is it normal"
    assert clean("how do I build a bot") == "how do I build a bot"


def test_a_message_of_chatter_only_cleans_to_nothing() -> None:
    assert clean("hi! thanks lol 🎉🎉") == ""


def test_spelling_file_errors_name_the_line() -> None:
    with pytest.raises(CorpusError, match="line 2"):
        parse_spellings("u = you\ntwo words = x\n")


# -- spelling correction ---------------------------------------------------------------


SPELLER = Speller.from_words(
    ["machine", "learning", "engineer", "engineers", "difference", "actually", "kubernetes"]
)


@pytest.mark.parametrize(
    ("typo", "fix"),
    [
        ("enginer", "engineer"),
        ("machien", "machine"),
        ("diffrence", "difference"),
        ("kubernets", "kubernetes"),
    ],
)
def test_typos_are_corrected_towards_corpus_words(typo: str, fix: str) -> None:
    assert SPELLER.correct(typo) == fix


@pytest.mark.parametrize("word", ["google", "zurich", "visa", "engineering", "machines", "learn"])
def test_real_english_words_are_never_corrected(word: str) -> None:
    assert english.is_english(word)
    assert SPELLER.correct(word) is None


HANDBOOK_SPELLER = Speller.from_words(
    [
        "call",
        "call",
        "rotation",
        "performance",
        "performance",
        "per",
        "per",
        "per",
        "neural",
        "ation",
        "paper",
    ]
)


def test_a_compound_typed_as_one_word_is_split_into_the_corpus_words() -> None:
    assert HANDBOOK_SPELLER.correct("oncall") == "on call"  # a stopword and a corpus word
    # Fragments are no words: "ation" is in this corpus but is no English word.
    assert HANDBOOK_SPELLER.correct("neuralation") is None


def test_a_truncation_is_expanded_before_a_one_letter_edit() -> None:
    # "perf" is one deletion from "per", but it truncates "performance".
    assert HANDBOOK_SPELLER.correct("perf") == "performance"
    # Too short a gap is an edit, not a truncation ("pape" is not short for "paper").
    assert HANDBOOK_SPELLER.correct("pape") == "paper"


def test_a_typo_of_an_english_word_the_corpus_lacks_becomes_that_word() -> None:
    # No corpus word is near, but "paternity" is one edit away: the asker meant it, and it
    # weighs as that word, no longer as the rarest of words.
    assert HANDBOOK_SPELLER.correct("paternaty") == "paternity"
    assert english.information("paternity") < english.information("paternaty")
    # A name that is no typo of anything stays as typed.
    assert HANDBOOK_SPELLER.correct("qwzxv") is None


def test_interjections_and_chat_spellings_of_until() -> None:
    assert clean("ugh i clicked a sketchy link") == "i clicked a sketchy link"
    assert clean("how long till payday") == clean("how long until payday")


def test_an_addressee_goes_with_the_greeting_but_stays_elsewhere() -> None:
    assert clean("good morning everyone ☀️") == ""
    assert clean("hi all, where do i find payslips") == "where do i find payslips"
    assert clean("are all laptops encrypted") == "are all laptops encrypted"


@pytest.mark.parametrize("word", ["pto", "l4", "asdfgh", "engineer"])
def test_short_words_unknown_junk_and_corpus_words_stay(word: str) -> None:
    assert SPELLER.correct(word) is None


# -- weights and the gate --------------------------------------------------------------


def test_information_ranks_everyday_words_below_specific_ones() -> None:
    assert english.information("someone") < english.information("kubernetes")
    assert english.information("thing") < english.information("regression")
    assert english.information("zzzqx") == english.max_information()


def test_gate_rule() -> None:
    assert judge(held=6, known=10, absent=2, held_concepts=2, known_concepts=3).answerable
    # the best passage holds too little of the question
    low = judge(held=MIN_HELD_SHARE * 10 - 1, known=10, absent=0, held_concepts=2, known_concepts=3)
    assert not low.answerable
    # the question is mostly about words the documents never use
    absent = 10 * MAX_ABSENT_SHARE / (1 - MAX_ABSENT_SHARE) + 1
    far = judge(held=10, known=10, absent=absent, held_concepts=3, known_concepts=3)
    assert not far.answerable and "never use" in far.reason
    # one concept is never enough when the question has several
    assert not judge(held=9, known=10, absent=0, held_concepts=1, known_concepts=3).answerable
    assert not judge(held=0, known=0, absent=5, held_concepts=0, known_concepts=0).answerable


def test_the_gate_judges_the_best_holding_of_the_passages_shown() -> None:
    # Rank 1 matches the commonest words; rank 2 holds the question: rank 2 is judged.
    assert judged_position([2.0, 7.5, 3.0], depth=3) == 1
    # Beyond the passages shown nothing counts, and the better ranked of equals wins.
    assert judged_position([2.0, 1.0, 1.0, 9.0], depth=3) == 0
    assert judged_position([4.0, 4.0], depth=3) == 0


# -- invented corpora of other domains, no synonyms file -------------------------------


def write_corpus(root: Path, docs: dict[str, str]) -> Path:
    root.mkdir()
    for name, (title, body) in ((k, v.split("\n", 1)) for k, v in docs.items()):
        (root / f"{name}.md").write_text(f"---\ntitle: {title}\n---\n{body}\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def handbook(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = write_corpus(
        tmp_path_factory.mktemp("h") / "handbook",
        {
            "oncall": "On-call\nOn-call lasts one week. The on-call engineer answers pages within fifteen "
            "minutes and hands over to the next engineer every Monday at noon.",
            "leave": "Time off\nEvery employee has twenty-five days of paid vacation per year. Vacation "
            "requests go to your manager at least two weeks ahead.",
            "laptops": "Laptops\nNew hires receive a laptop on their first day. Lost or broken laptops are "
            "replaced by the IT desk within two working days.",
            "reviews": "Code review\nEvery change needs one approving review before it is merged. Reviewers "
            "answer within one working day.",
        },
    )
    return Engine.from_corpus(root)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how long is on-call?", "On-call lasts one week"),
        ("hey @careerbot how many vacation days do we get per year lol", "twenty-five days of paid vacation"),
        ("who replaces a broken laptpo?", "replaced by the IT desk"),
        ("quick q: does every change need a code reviw before merging", "approving review"),
    ],
)
def test_handbook_questions_in_chat_style_are_answered(
    handbook: Engine, question: str, expected: str
) -> None:
    answer = handbook.ask(question)
    assert answer.answered, question
    assert expected in answer.hits[0].text


@pytest.mark.parametrize(
    "question",
    [
        "how much does google pay an L4 engineer in zurich",
        "who wins the world cup this time",
        "can I get an H-1B visa if I'm on OPT right now?",
        "tell me a joke",
        "asdfgh jkl",
    ],
)
def test_handbook_refuses_what_it_does_not_cover(handbook: Engine, question: str) -> None:
    assert not handbook.ask(question).answered, question


def test_a_neutral_corpus_gets_neutral_text_and_no_bundled_synonyms(handbook: Engine) -> None:
    assert handbook.example_questions() == ()
    assert "machine learning" not in handbook.no_answer_text
    assert handbook.synonyms.groups() == []
    answer = handbook.ask("who wins the world cup")
    assert answer.no_answer == handbook.no_answer_text


@pytest.fixture(scope="module")
def titled(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    # Titles that name what their text never repeats, as handbook pages often do.
    return Engine.from_corpus(
        write_corpus(
            tmp_path_factory.mktemp("t") / "titled",
            {
                "expenses": "Expense policy\nReceipts for travel and meals are reimbursed within ten days "
                "when submitted through the finance portal.",
                "oncall": "On-call\nOn-call lasts one week. The on-call engineer answers pages within "
                "fifteen minutes.",
                "laptops": "Laptops\nNew hires receive a laptop on their first day. Broken laptops are "
                "replaced by the IT desk.",
            },
        )
    )


@pytest.mark.parametrize("question", ["hey whats the expense policy", "expense policy tldr?"])
def test_words_only_a_title_uses_find_that_documents_passages(titled: Engine, question: str) -> None:
    # Before: "expense" and "policy" counted as words the documents never use, and the
    # bot said so ("no word of the question occurs in the documents").
    answer = titled.ask(question, explain=True)
    assert answer.answered, question
    assert answer.hits[0].doc_id == "expenses"
    assert answer.explanation is not None
    kinds = {c.label: c.kind for c in answer.explanation.whole.concepts}
    assert kinds == {"expense": "corpus", "policy": "corpus"}


def test_title_words_help_rank_but_do_not_answer_what_the_documents_lack(titled: Engine) -> None:
    answer = titled.ask("what does the expense policy say about meals?")
    assert answer.answered and answer.hits[0].doc_id == "expenses"
    # "policy" is known, but "dress" and "code" are not: still an honest no.
    assert not titled.ask("what's the dress code policy").answered
    assert not titled.ask("how much does google pay in zurich").answered
    # The laptops passage holds no title word of another document.
    laptops = titled.ask("who replaces broken laptops?")
    assert laptops.answered and laptops.hits[0].doc_id == "laptops"


def test_a_question_naming_an_author_or_site_reaches_their_article(tmp_path: Path) -> None:
    root = tmp_path / "c"
    root.mkdir()
    for name, author, site, body in (
        ("a", "Priya Raman", "ops weekly", "Pager rotations last one week and hand over on Mondays."),
        ("b", "Tomas Berg", "people blog", "Vacation requests go to your manager two weeks ahead."),
    ):
        (root / f"{name}.md").write_text(
            f"---\ntitle: Notes {name}\nauthors: [{author}]\nsite: {site}\n---\n{body}\n", encoding="utf-8"
        )
    engine = Engine.from_corpus(root)
    for question, doc, names in (
        ("what does priya raman say about rotations?", "a", {"priya", "raman"}),
        ("that people blog post, tldr", "b", {"people", "blog"}),
    ):
        answer = engine.ask(question, explain=True)
        assert answer.answered and answer.hits[0].doc_id == doc, question
        assert answer.explanation is not None
        kinds = {c.label: c.kind for c in answer.explanation.whole.concepts}
        assert {kinds[n] for n in names} == {"corpus"}, kinds
        assert not answer.explanation.whole.corrections  # a name is no typo
    assert not engine.ask("what does elon musk say about rotations?").answered


def test_corpus_words_beyond_a_to_z_are_never_corrected(tmp_path: Path) -> None:
    # Before: the speller knew only runs of a-z, so the corpus's own "café" became "caf",
    # "zürich" became "zurich" and "o'reilly" became "reilly", each then missing.
    root = write_corpus(
        tmp_path / "c",
        {
            "cafe": "Café Zürich\nThe café on the ground floor of the Zürich office serves lunch. "
            "Our O'Reilly Safari subscription is free for everyone. Send your résumé to Jürgen.",
            "oncall": "On-call\nOn-call lasts one week. The on-call engineer answers pages quickly.",
        },
    )
    engine = Engine.from_corpus(root)
    for question, words in (
        ("is the zürich office café free", {"zurich", "cafe"}),
        ("how do i get the o'reilly subscription", {"oreilly"}),
        # Accents folded both ways: typed without them, or with them where the text has none.
        ("is the zurich office cafe free", {"zurich", "cafe"}),
        ("who gets my resume? jurgen?", {"resume", "jurgen"}),
    ):
        analysis = engine.analyze(question)
        assert not analysis.corrections, question
        kinds = {c.label: c.kind for c in analysis.concepts}
        assert {kinds[w] for w in words} == {"corpus"}, kinds
        assert engine.ask(question).answered, question
    assert engine.analyze("who answers pagse").corrections == (("pagse", "pages"),)


def test_title_only_terms_keep_the_numpy_path_and_its_hits(monkeypatch: pytest.MonkeyPatch) -> None:
    # The compiled top() knows only passage postings, so a title-only term must not take it.
    from retrieval import index as index_module
    from retrieval.search import PassageSearch
    from retrieval.synonyms import Concept

    search = PassageSearch.build(
        [["receipt", "meal"], ["laptop"]], [["expens", "receipt", "meal"], ["laptop"]], [0, 1]
    )
    concepts = [Concept(terms=("expens",))]
    assert search.title_only("expens") and not search.title_only("meal")
    slow = search.top(concepts, 5)
    monkeypatch.setattr(index_module, "KERNEL_MIN_PASSAGES", 0)
    assert search.passages.compiled
    assert search.top(concepts, 5) == slow
    assert [i for i, _ in slow] == [0]


# -- multi-part questions ---------------------------------------------------------------


def test_split_parts() -> None:
    assert split_parts("two qs: 1) is MLE future proof 2) what should i learn") == [
        "is MLE future proof",
        "what should i learn",
    ]
    assert split_parts("what does an MLE do? and how do I become one?") == [
        "what does an MLE do?",
        "and how do I become one?",
    ]
    assert split_parts("version 2. of the api?") == ["version 2. of the api?"]
    assert split_parts("hi? what is mlops") == ["hi?", "what is mlops"]


def test_each_answerable_part_gets_a_hit(handbook: Engine) -> None:
    answer = handbook.ask("two qs: 1) how long is on-call 2) how many vacation days per year", top_k=2)
    texts = " ".join(h.text for h in answer.hits)
    assert "On-call lasts one week" in texts
    assert "twenty-five days" in texts


def test_an_off_topic_part_does_not_veto_the_answerable_one(handbook: Engine) -> None:
    answer = handbook.ask("how long is on-call? also who wins the world cup lol")
    assert answer.answered
    assert "On-call lasts one week" in answer.hits[0].text


# -- explain ----------------------------------------------------------------------------


def test_explain_shows_cleaning_corrections_weights_and_verdict(handbook: Engine) -> None:
    answer = handbook.ask("hey whats needed before a change is merged, a code reviw? pls", explain=True)
    assert answer.explanation is not None
    whole = answer.explanation.whole
    assert "hey" in whole.removed and "pls" in whole.removed
    assert ("whats", "what is") in whole.rewritten
    assert ("reviw", "review") in whole.corrections
    labels = {c.label: c for c in whole.concepts}
    assert labels["review"].kind == "corpus" and labels["review"].idf is not None
    assert whole.gate.answerable is answer.answered is True
    data = answer.to_public_json()
    assert data["explain"]["whole"]["gate"]["answerable"] is True
    assert "explain" not in handbook.ask("how long is on-call").to_public_json()


def test_explain_says_why_a_question_was_refused(handbook: Engine) -> None:
    answer = handbook.ask("how much does google pay in zurich", explain=True)
    assert answer.explanation is not None
    gate = answer.explanation.whole.gate
    assert not gate.answerable and gate.reason
    kinds = {c.label: c.kind for c in answer.explanation.whole.concepts}
    assert kinds["zurich"] == "absent"


# -- per-corpus text --------------------------------------------------------------------


def test_bundled_profile_supplies_the_career_text() -> None:
    engine = Engine.from_corpus()
    assert "machine learning engineers" in engine.no_answer_text
    assert len(engine.example_questions()) >= 3
    assert [item.aspect for item in engine.overview()][:2] == ["Responsibilities", "Problem space"]


def test_every_example_question_is_answered_relevantly() -> None:
    engine = Engine.from_corpus()
    for question in engine.example_questions():
        answer = engine.ask(question)
        assert answer.answered, question
        assert answer.hits[0].score > 0


def test_profile_errors_name_the_field(tmp_path: Path) -> None:
    (tmp_path / "careerbot.yaml").write_text("examples: 5\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="careerbot.yaml: examples"):
        load_profile(tmp_path)
    (tmp_path / "careerbot.yaml").write_text("nonsense_key: 1\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="nonsense_key"):
        load_profile(tmp_path)


def test_a_corpus_can_opt_into_the_bundled_synonyms(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "c", {"a": "Roles\nA machine learning engineer ships models."})
    (root / "careerbot.yaml").write_text('synonyms: bundled\nexamples: ["What does an MLE do?"]\n')
    engine = Engine.from_corpus(root)
    assert engine.synonyms.groups()
    assert engine.ask("What does an MLE do?").answered


# -- careerbot eval on small labelled files of each question style ----------------------


@pytest.mark.parametrize("name", ["questions.json", "chat_style.json"])
def test_eval_on_labelled_files(name: str) -> None:
    engine = Engine.from_corpus()
    report = evaluate(load_question_file(DATA / name), lambda q, k: engine.ask(q, top_k=k))
    assert report.answered >= 0.85
    assert report.abstained >= 0.9
    assert report.hit_at_3 >= 0.6
    json.dumps(report.model_dump())


def test_eval_on_a_handbook_written_by_someone_who_never_saw_the_engine() -> None:
    # Another kind of corpus (no careerbot.yaml, no synonyms) and new hires' chat questions.
    engine = Engine.from_corpus(DATA / "handbook")
    report = evaluate(
        load_question_file(DATA / "handbook_questions.json"), lambda q, k: engine.ask(q, top_k=k)
    )
    assert (report.in_corpus, report.off_topic) == (40, 20)
    assert report.answered >= 0.75
    assert report.abstained >= 0.7
    assert report.hit_at_3 >= 0.5


def test_names_and_acronyms_are_never_corrected() -> None:
    from retrieval.chat import default_rules as rules
    from retrieval.synonyms import SynonymTable
    from retrieval.understanding import analyze

    speller = Speller.from_words(["tregs", "engineer"])
    a = analyze("do iTregs and enginer matter", rules(), SynonymTable([]), speller, lambda t: 1.0)
    assert a.corrections == (("enginer", "engineer"),)


def test_a_long_question_is_answered_by_a_passage_holding_several_of_its_concepts() -> None:
    # 3 of 10 concepts held, 30% of the information: below the short-question share, but
    # several concepts of a long claim are evidence (SciFact's long claims).
    assert judge(held=3, known=10, absent=0, held_concepts=3, known_concepts=10).answerable
    assert not judge(held=3, known=10, absent=0, held_concepts=2, known_concepts=10).answerable


def test_profile_is_read_with_the_corpus_file_rules(tmp_path: Path) -> None:
    secret = tmp_path / "secret.env"
    secret.write_text("name: TOKEN=abc\n", encoding="utf-8")
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "careerbot.yaml").symlink_to(secret)
    with pytest.raises(CorpusError, match="careerbot.yaml"):
        load_profile(corpus)
    (corpus / "careerbot.yaml").unlink()
    (corpus / "careerbot.yaml").write_text("examples: " + "[" * 200 + "]" * 200 + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="careerbot.yaml"):
        load_profile(corpus)
