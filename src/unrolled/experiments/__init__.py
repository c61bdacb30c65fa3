"""Experiments whose full runs take minutes to an hour: each module is a script that writes a
results file (and, where a chapter needs the model, a checkpoint) committed with the book; the
chapter notebooks read those files. `python -m unrolled.experiments` lists them.
"""

# name -> what it does and how long its full run takes on one core of the book's machine
EXPERIMENTS = {
    "adding": "chapter 5: adding and copy tasks, RNN/IRNN/LSTM, lr search, 5 seeds (~70 min)",
    "exposure": "chapter 3: exposure bias, teacher forcing vs scheduled sampling (~20 min)",
    "sunspots": "chapter 6: recurrent forecasters against naive, AR and sqrt-AR (~20 min)",
    "forget_bias": "chapter 6: LSTM forget-gate bias 0, 1, 2 on the adding problem (~15 min)",
    "langid": "chapter 6: language of a word, recurrent classifiers vs naive Bayes (~80 min)",
    "langid_combined": "chapter 6: naive Bayes and the letter models combined (~25 min)",
    "charlm": "chapter 6: character LMs (RNN, GRU, LSTM) against tuned Kneser-Ney (~80 min)",
    "charlm_refit": "chapter 6: LSTM and Kneser-Ney, same text (~100 min; --jobs 3: 50)",
    "charlm_dynamic": "chapter 6: both models learning while they read (~100 min; --jobs 2: 50)",
    "charlm_source": "chapter 6: LSTM vs Kneser-Ney on library source (~160 min; --jobs 3: 90)",
    "charlm_source_sizes": "chapter 6: the same on 1/16, 1/4 of the text (~130 min; --jobs 2: 67)",
    "ner": "chapter 6: named entities (CoNLL-2003), BiLSTM against a window tagger (~70 min)",
    "sentiment": "chapter 6: critics' snippets, fresh or rotten, LSTM and naive Bayes (~30 min)",
    "phonetisaurus": "chapter 7: G2P baseline, Phonetisaurus joint n-gram WFST (~3 min)",
    "reversal": "chapter 7: reversal, attention or not, 5 seeds each (~2 h; --jobs 2: 75 min)",
    "g2p": "chapter 7: G2P with attention, 3 seeds and their ensemble (~170 min; --jobs 3: 60)",
    "g2p_combined": "chapter 7: the G2P network and Phonetisaurus, candidates rescored (~20 min)",
    "captioning": "chapter 7: emoji captions, CNN + GRU decoder, attention or not (~45 min)",
    "scoreboard": "scoreboard.json: every real task, the recurrent model against its baselines",
}
