"""The parts of the reference model (`..reference.ReferenceModel` puts them together).

Reading order, from words to a turn:

- `text`: identifier splitting, tokens, stop words, the suffix stemmer, abbreviations, typo distance.
- `lexicon`, `tables`: related-word groups; currencies, languages, units, tickers, coins.
- `query`: a request as weighted stems plus hints from typed values; `intent`: what its verb asks.
- `relevance`: tools as weighted bags of stems, scores, the abstention threshold.
- `values`, `dates`, `places`, `slots`: values found in text (ids, amounts, dates, places, phrasings).
- `schema`: what kind of value each parameter wants; `kinds`, `numbers`, `fill`: argument filling.
- `plan`, `expand`, `chain`: which calls serve a request, parallel values, calls that wait for others.
- `answer`: final answers from tool outputs, refusals, small talk.
"""
