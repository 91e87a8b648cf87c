"""The checks' messages in Chinese, read when ``LLMREC_LANG=zh`` (:func:`.common.localized`).

Each key is a message of the checks in this package as its code writes it, an
f-string's fields written ``{}`` (and a literal brace doubled); each value is its
Chinese, with the same fields (``{}`` in order, or ``{0}``, ``{1}`` to reorder them).
A field that is itself a message (a case's name, a hint) is translated on its own.
``tests/test_hints.py`` checks that every message of the checks is here."""

HINTS = {
    'That frame holds the contract: ratings of exactly 1 and 5 are on the scale, a user may rate several items and an item may be rated by several users, and a missing value outside user, item and rating does not matter.':
        '',
    'Your function accepted {}. {}':
        '',
    'When the frame holds the contract, return it unchanged: you reset or replaced its index.':
        '',
    'the contract is checked, and a frame that holds it passes unchanged.':
        '',
    "Recall@k: top k by rank, over each user's relevant items, averaged over users.":
        '',
    "each user's latest rating is held out, and nothing leaks into train.":
        '',
    'When the frame holds the contract, return it unchanged (the same rows), so calls can be chained.':
        '',
    'When the frame holds the contract, return it unchanged: you dropped, added or reordered columns.':
        '',
    'When the frame holds the contract, return it unchanged: you re-sorted its rows; keep them in their order.':
        '',
    'a frame without a `rating` column':
        '',
    'Check that user, item and rating are all present.':
        '',
    'a missing item id':
        '',
    "Look for missing values in the contract's columns.":
        '',
    'a rating of 0':
        '',
    'Ratings are stars from 1 to 5.':
        '',
    'a rating of 6':
        '',
    'a (user, item) pair that appears twice':
        '',
    'Each user rates an item at most once: look for repeated (user, item) pairs.':
        '',
    'a rating outside 1 to 5':
        '',
    "Not quite: recall is computed per user of truth, from that user's own k best ranks and relevant items, then averaged. Try your function on one user by hand.":
        '',
    "test does not hold each user's most recent rating. Sort by timestamp within each user; do not rely on row order.":
        '',
    'On {}, your function raised {} ({}). Raise a ValueError that says what is wrong, so a caller gets one kind of error; check that a column exists before you use it.':
        '',
    'When the frame holds the contract, return it unchanged: you changed some values (or their types).':
        '',
    'That frame holds the contract (integer ratings, the columns in another order, no timestamp): only user, item and rating are required.':
        '',
    'Return a tuple (train, test) of two DataFrames.':
        '',
    'train and test together have {} rows; the input has {}. Every rating must land in exactly one of them.':
        '',
    'test should hold exactly one rating per user, for every user.':
        '',
    'train should hold every rating that is not in test, and only those.':
        '',
    'You matched items against the relevant items of all users together (an `isin` over the whole of truth): an item relevant to another user is not a hit. Match on (user, item) pairs.':
        '',
    'You did not cut the lists at k: only the first k items count.':
        '',
    'You kept the first k-1 items: ranks start at 1, so rank k is in the top k.':
        '',
    "You took each user's first rows, not the best ranks: the rows are not in rank order, so sort by rank first.":
        '',
    "You divided by k: that is precision; recall is a share of the user's relevant items.":
        '',
    "You capped the denominator at k; recall is a share of all of the user's relevant items.":
        '',
    'You counted a user as 1 if any item is found: that is the hit rate.':
        '',
    'You averaged only over users who have a list: a user with relevant items but no list scores 0 and still counts.':
        '',
    'You averaged over the users who have a list; average over the users in truth (a user with no relevant items has no recall).':
        '',
    '{} should be a DataFrame with the columns of the input.':
        '',
    "You kept each user's *earliest* rating; the latest has the largest timestamp.":
        '',
    "You took each user's last *row*: the rows are not in time order, so sort by timestamp first.":
        '',
    'You sorted by item id, not by timestamp.':
        '',
    'You sorted by rating, not by timestamp.':
        '',
    '{} should be a DataFrame with the columns of the input; ':
        '',
    'you dropped {}.':
        '',
    'you added columns.':
        '',
    'padding positions are ignored and each text is averaged over its own tokens.':
        '',
    'a class that is never predicted has precision 0/0: count its F1 as 0.':
        '',
    'macro-F1 is the unweighted mean of the per-class F1, 0 for a class never hit.':
        '',
    'every card keeps its title words and genres, without the year.':
        '',
    'no separating case found':
        '',
    'each pick trades relevance to the document against its closest keyword so far.':
        '',
    'the pooled batch':
        '',
    "Not quite: average each text's token vectors over its real tokens only.":
        '',
    'Not quite: compute F1 for each class that occurs in either array, then take their plain mean.':
        '',
    'cards_no_year is not computed yet: replace the `...` with your code.':
        '',
    'Give a list with one card per movie, in the order of `items` ({}).':
        '',
    'Every card should be a string.':
        '',
    'You ranked by similarity to the document alone: the diversity term is missing (or never changes the order).':
        '',
    "Your penalty uses the candidates' similarity to the document; it should use their similarity to the keywords already picked.":
        '',
    'You averaged the similarity to the picked keywords; MMR penalises the largest one.':
        '',
    'You summed the similarities to the picked keywords; MMR penalises the largest one.':
        '',
    'You used dot products of vectors that are not unit length; use cosine similarities (normalise the vectors first).':
        '',
    'You swapped the weights: `diversity` weighs the penalty, 1 - diversity the relevance.':
        '',
    'You returned the picks sorted by similarity to the document; return them in the order MMR picked them.':
        '',
    'You returned positions in the shrinking list of candidates left; return row indices of `cand_vecs`.':
        '',
    'Not quite: pick the most relevant candidate first, then each time the one whose relevance, less its redundancy with the picks so far, is largest (each weighted as the formula says).':
        '',
    'Return a torch.Tensor, got {}.':
        '',
    'Some cards still contain a year, e.g. {}; remove every (YYYY), wherever it is in the title.':
        '',
    'The card {} lost the title words {}: remove only the year, and keep the cards in the order of `items`.':
        '',
    'The card {} lost its genres {}; keep the genres.':
        '',
    'Return a list of row indices, got {}.':
        '',
    'Return row indices of `cand_vecs` (whole numbers).':
        '',
    'Return min(k, number of candidates) indices: you returned {} for k={} and {} candidates.':
        '',
    'You picked a candidate twice: remove each pick from the candidates left.':
        '',
    'You averaged over padding positions too; padded tokens must not count.':
        '',
    "You divided by the padded length; divide by each text's number of real tokens (mask.sum).":
        '',
    'That is a masked *sum*: divide by the number of real tokens.':
        '',
    'That is CLS pooling (the first token); the exercise asks for the masked mean.':
        '',
    'That is max pooling; the exercise asks for the masked mean.':
        '',
    'You L2-normalised the mean; the exercise asks for the mean itself.':
        '',
    'That is accuracy (= micro-F1 here); macro-F1 averages the per-class F1 scores.':
        '',
    'That is the support-weighted F1; macro-F1 gives every class the same weight.':
        '',
    'You averaged over the classes of y_true only; a class that is only predicted counts too (its F1 is 0).':
        '',
    'You took the F1 of the averaged precision and recall; average the per-class F1 scores instead.':
        '',
    'That is the macro-averaged precision, not F1.':
        '',
    'That is the macro-averaged recall, not F1.':
        '',
    'first sub-word labelled, continuations and special tokens ignored.':
        '',
    'entity-level F1 pools whole spans over sentences: a half-found entity is a miss.':
        '',
    'spans read the way seqeval reads them.':
        '',
    "Not quite: compare each token's word id with the previous token's.":
        '',
    'Not quite: compare the spans of gold and pred sentence by sentence, pool the counts, then combine precision and recall.':
        '',
    "For the tags {} your spans differ from seqeval's reading: B- starts a span, I- continues one of its type.":
        '',
    'Return one label per sub-word token ({}), got {}.':
        '',
    'Return a list of integer label ids, one per token.':
        '',
    "You gave every sub-word its word's label; label only the first sub-word and put {} on the continuations, so each word counts once.":
        '',
    'You labelled the *last* sub-word of each word; label the first one.':
        '',
    "You matched labels to tokens by position (padding the word labels); look each token's word up through its word id.":
        '',
    'Special tokens (word id None) must get {}, not a label.':
        '',
    'That is the precision alone (shared / predicted spans); F1 combines it with recall.':
        '',
    'That is the recall alone (shared / gold spans); F1 combines it with precision.':
        '',
    'That is a token-level score: it gives credit for the B-FIT of a two-word FIT span whose I-FIT was missed. Compare whole spans (type, start, end).':
        '',
    'You averaged the F1 of each sentence; pool the span counts over all sentences first (micro average).':
        '',
    'You put the spans of all sentences into one set, so equal spans of different sentences collapse; count shared spans sentence by sentence.':
        '',
    'You matched spans on their boundaries only; the entity type must match too.':
        '',
    'Return a list of (type, start, end) tuples.':
        '',
    'The type of a span is the tag without its B-/I- prefix.':
        '',
    'Use end = one past the last word, so a one-word span has end = start + 1.':
        '',
    'A B- tag always starts a new span, even right after a span of its type.':
        '',
    "An I- tag with no span to continue starts a new span (seqeval's lenient reading).":
        '',
    'An I- tag of another type cannot continue a span: it starts a new one.':
        '',
    'Close the span that is still open when the tags end.':
        '',
    'With no predicted spans precision is 0/0: the F1 is then 0.':
        '',
    "your step equals -lr/2 times the exact gradient of the rating's loss term.":
        '',
    "the user's factors and bias solve the ridge regression exactly.":
        '',
    'your B matches the closed form, zero diagonal included.':
        '',
    'Not quite: compare your four updates, one by one, with the update equations of the chapter.':
        '',
    "Not quite: compare your system (matrix, right-hand side, regulariser) with the chapter's equation term by term.":
        '',
    "Not quite: compare your B with the exercise's formula on a 3 x 3 example, entry by entry.":
        '',
    'Return a tuple (p, q, bu, bi) of the updated parameters.':
        '',
    'Return a tuple (p_u, b_u).':
        '',
    'B is users x users: the Gram matrix is X^T X (items x items).':
        '',
    'B should be items x items {}, got {}.':
        '',
    'You updated q with the *new* p; both updates use the old values.':
        '',
    'Check the sign of the error: e = r - r_hat (the rating minus the prediction).':
        '',
    'The factors are not regularised: shrink p and q by reg as well.':
        '',
    'The biases use `reg`; they have their own regulariser, `bias_reg`.':
        '',
    'The biases were not updated; update bu and bi too.':
        '',
    'Your step is twice too large: the update uses lr, not 2 lr.':
        '',
    "The ridge on the factors is reg times n_u, the user's number of ratings.":
        '',
    "Subtract the items' biases from the ratings before solving.":
        '',
    'Subtract the global mean mu from the ratings before solving.':
        '',
    'The bias has its own regulariser, bias_reg, not reg times n_u.':
        '',
    'You fitted the bias first and the factors after; solve p_u and b_u jointly (one system with a column of ones).':
        '',
    "B's diagonal must be zero: an item may not predict itself.":
        '',
    'You divided each *row* by its diagonal entry; divide each column j by P[j, j].':
        '',
    'The sign is flipped: B is minus P over its diagonal.':
        '',
    'lam is missing: add lam to the diagonal of X^T X before inverting.':
        '',
    'rows standardised, constant rows mapped to zeros.':
        '',
    "your scores equal ContentModel's cosine between taste and item vectors.":
        '',
    "both matrices on one per-user scale, and each item's content weight grows as its ratings shrink: a cold item is scored by text alone.":
        '',
    "Not quite: subtract each row's mean and divide by that row's standard deviation.":
        '',
    'Not quite: centre, normalise rows, average the rated rows, normalise, dot.':
        '',
    'the blended scores':
        '',
    "Not quite: check your scores for one user and one item by hand, against the exercise's formula.":
        '',
    'Z has NaN or inf: a constant row has standard deviation 0; return zeros for it instead of dividing.':
        '',
    'Your scores have NaN or inf: a user whose CF scores are all equal has standard deviation 0; give that row zeros.':
        '',
    'You used the sample standard deviation (ddof=1); use the population one (ddof=0).':
        '',
    'You standardised the columns (axis=0); standardise each row (axis=1).':
        '',
    "You used the mean and std of the whole matrix; use each row's own.":
        '',
    'You did not subtract the row mean.':
        '',
    "You did not divide by the row's standard deviation.":
        '',
    'You did not centre V: subtract the mean item vector first (embeddings share an offset that makes every cosine large).':
        '',
    'You centred each row on its own mean; centre on the mean item vector (axis=0).':
        '',
    'You did not normalise the item rows; cosines need unit vectors.':
        '',
    'You did not normalise the taste vector, so the scores are not cosines.':
        '',
    'Your taste vector averages all items; average the rated rows only.':
        '',
    "You mixed the raw scores: z-score each user's row of both matrices first, so CF scores and cosines are on one scale.":
        '',
    'You mixed first and standardised after; standardise each matrix, then mix.':
        '',
    "You standardised the columns (items); standardise each user's row.":
        '',
    'You used the sample standard deviation (ddof=1); use the population one.':
        '',
    "The weights are on the wrong sides: the gate's weight goes to the content scores, and a cold item should be scored by content alone.":
        '',
    'The floor is missing: every item, however many ratings it has, keeps at least `weight` on content.':
        '',
    'The gate is upside down: the more ratings an item has, the less it needs text.':
        '',
    "You used one weight for every item; the gate's weight depends on n_i.":
        '',
    'Shapes do not broadcast: the gate has one weight per item (a column), shared by every user.':
        '',
    'Shapes do not broadcast: keep the row axis (keepdims=True) so each row uses its own mean and std.':
        '',
    'A block of tokens repeated three times or more at the end is a loop.':
        '',
    'loops are detected at the end of the answer, and only there.':
        '',
    'the fit is good':
        '',
    'the fabric is soft and lovely':
        '',
    'not in the labelled set':
        '',
    'it is a small fit':
        '',
    'the zip feels cheap':
        '',
    'far too long':
        '',
    'lovely colour':
        '',
    'the size is right':
        '',
    'a rewrite of {}, {}':
        '',
    "the labelled reviews plus their kept paraphrases, each with its review's label.":
        '',
    'a paired comparison over reviews: with minus without, with its interval.':
        '',
    'A pattern seen only twice is not a loop yet.':
        '',
    'A repeat that is not at the end is not a loop: only the end counts.':
        '',
    'One token three times at the end is a loop (period 1).':
        '',
    'A two-token pattern three times at the end is a loop.':
        '',
    'More than three repeats is still a loop.':
        '',
    'A pattern seen only twice is not a loop yet: it takes three.':
        '',
    'A repeat that is not at the end is not a loop: only the end of the answer counts.':
        '',
    'Three occurrences that are not back to back are not a loop.':
        '',
    'An empty list has no loop (and must not crash).':
        '',
    'Two tokens cannot hold three repeats.':
        '',
    'A pattern longer than max_period does not count.':
        '',
    'A pattern of exactly max_period tokens counts (period 1 to max_period, both included).':
        '',
    'Use the max_period passed in, not a fixed 12.':
        '',
    'Return a tuple (texts, labels): a list of texts and their labels.':
        '',
    'texts has {} entries and labels {}: give each text, original or copy, its label.':
        '',
    'texts should be strings (the reviews and their paraphrases).':
        '',
    "Your labels are strings (such as '0' and '1'); a classifier needs the numbers 0 and 1, as in the `recommended` column.":
        '',
    'labels should be the numbers 0 and 1 of the `recommended` column.':
        '',
    "Not quite: some (text, label) pairs are missing, extra or mislabelled; print yours for a small frame and compare them with the exercise's rules.":
        '',
    'Return what evaluation.compare gives (a Comparison): the difference comes with its interval.':
        '',
    'the difference':
        '',
    'Not quite: score each review 1 if its prediction is right, else 0, for both models, and give the two aligned score arrays to evaluation.compare (without first).':
        '',
    'Return True or False, got a {}.':
        '',
    '{} (ids ending {}, max_period={})':
        '',
    'lovely soft fabric':
        '',
    'pilled after a wash':
        '',
    'great colour':
        '',
    'true to size':
        '',
    'review {}: {}':
        '',
    'You returned one number; return the Comparison from evaluation.compare, so the difference has an interval.':
        '',
    'You dropped the labelled reviews: the copies are added to them, not used instead of them.':
        '',
    'You kept the paraphrases in `copies`; the filter leaves them out.':
        '',
    'You kept only the paraphrases in `copies`; the filter leaves *those* out.':
        '',
    'Every copy got the label 1; a copy inherits the label of the review it rewrites.':
        '',
    'Every copy got the label 0; a copy inherits the label of the review it rewrites.':
        '',
    'You looked paraphrases up by row position; they are keyed by the review id (the `review` column).':
        '',
    "You paired the paraphrases, in the dictionary's order, with labels in the frame's order: the two orders differ, so copies got other reviews' labels. Look each copy's label up through its review id.":
        '',
    'The sign is reversed (or you compared errors, not correctness): the effect is with the augmentation minus without it.':
        '',
    'You compared the predictions themselves; compare whether each prediction is right (per-review correctness).':
        '',
    'The difference is right but the interval is not: pass `seed` to compare.':
        '',
    'That is the macro-F1 difference; the exercise compares per-review correctness with evaluation.compare.':
        '',
    'A review whose paraphrase was rejected has no entry in paraphrases: it adds no copy.':
        '',
    'the pairwise term in O(kn), equal to the sum over pairs.':
        '',
    "WARP's weight grows with the estimated rank, and is 0 at rank 1 or 0.":
        '',
    "each review's profile leaves out its own label.":
        '',
    'the pairwise terms':
        '',
    'Not quite: compare your function with the slow sum over pairs j < l on a small V and X.':
        '',
    'Not quite: check the estimated rank and the logarithm of each N on a small example by hand.':
        '',
    "Not quite: work out one review's share by hand (the other reviews of its item only) and compare.":
        '',
    'Some weights are -inf or NaN: when the estimated rank is 0 the log is undefined; a rank below 1 counts as 1.':
        '',
    'Some shares are NaN or inf: an item with one review has no other review; give it the share over all reviews.':
        '',
    'You forgot the 1/2: the square of the sum counts every pair twice.':
        '',
    'You left the diagonal in: the square of the sum also holds each feature paired with itself, which is not a pair.':
        '',
    'Your diagonal term has x_j to the first power: the square of the sum holds each feature with itself weighted by its value squared.':
        '',
    'You summed the vectors without weighting them by the feature values x_j.':
        '',
    'You did not round the estimated rank down to a whole number.':
        '',
    'Use n - 1, not n: the positive itself is not one of its negatives.':
        '',
    'You returned the rank; WARP weights by its logarithm.':
        '',
    "Your profile includes the review's own mention: that is the leak. Leave the review out of its own item's share.":
        '',
    'You took the review out of the mentions but not out of the number of reviews you divide by.':
        '',
    'An item with no other review should get the overall share, not 0.':
        '',
    'The fallback is the share over all reviews, not 0.5.':
        '',
    "Shapes do not broadcast: weight each feature's vector by its value, giving rows x features x k.":
        '',
    'log of a non-positive number: a positive whose estimated rank is 0 or 1 must not reach the log as it is.':
        '',
    'your NDCG agrees with metrics.ndcg_at_k, truncation and ideal list included.':
        '',
    'your novelty matches metrics.novelty.':
        '',
    'large p for a null difference, small for a real one in either direction.':
        '',
    'the share of pairs, both answers valid, that pick the same film in both orders.':
        '',
    'Not quite: work through a list of three positions by hand (discounts, DCG, ideal list) and compare with your function.':
        '',
    'Not quite: check p_i and its self-information for one recommended item by hand.':
        '',
    'p = {} is not the share of random sign flips at least as extreme as the observed mean.':
        '',
    'Two calls with the same seed gave different p-values: draw the signs from np.random.default_rng(seed).':
        '',
    'swap consistency':
        '',
    'did every pair get left out? Keep the pairs where both answers are valid.':
        '',
    'Not quite: for three pairs, write down which film each order picked and count by hand.':
        '',
    'p = 0: count the observed sample among the flips (add 1 to numerator and denominator).':
        '',
    'A p-value lies in (0, 1]; got {}.':
        '',
    'p should be a count of flips over n + 1; did you use the `n` passed in?':
        '',
    'p = 1 for a clear difference: flip the sign of each difference independently, not the whole sample at once (or shuffle).':
        '',
    'That is a one-sided test (it ignores the sign of the effect); compare absolute means, so both directions count.':
        '',
    'p is about half what it should be: count flips whose |mean| is at least the observed |mean| (both tails).':
        '',
    'You scored the whole list; NDCG@k only looks at the first k positions (truncate).':
        '',
    'Your ideal list has n_relevant hits; it can hold at most k of them.':
        '',
    'Your ideal list has k hits; a user with fewer relevant items cannot fill it.':
        '',
    "Your ideal list is built from the hits in the list; it should count all the user's relevant items (up to k).":
        '',
    'The discount is off by one: rank 1 is divided by log2(2) = 1.':
        '',
    'That is a 1/rank discount; NDCG discounts by a logarithm of the rank.':
        '',
    'That is the DCG alone; divide it by the DCG of the ideal list.':
        '',
    'You counted rows, not distinct users: a user who rated an item twice counts once.':
        '',
    'You divided by the number of rows; p_i is a share of *users*.':
        '',
    'You divided by the number of items; p_i is a share of users.':
        '',
    'That is the natural logarithm; use log base 2 (bits).':
        '',
    'That is log base 10; use log base 2 (bits).':
        '',
    'The sign is flipped: self-information is -log2 p, a positive number.':
        '',
    'You averaged over distinct recommended items; average over all recommended rows.':
        '',
    'Count the observed sample among the flips: add 1 to the numerator *and* to the denominator.':
        '',
    'You counted pairs that pick the same *position* twice; once swapped, the same film sits at the other position.':
        '',
    'Pairs with a rejected answer (NaN) are in your denominator: leave them out, they are neither consistent nor inconsistent.':
        '',
    'Pairs with a rejected answer (NaN) count as consistent in your answer (NaN != x is True): leave them out.':
        '',
    'You left out the pairs rejected in the first order only; a pair needs a valid answer in both orders.':
        '',
    'That is a count of pairs; return the share.':
        '',
    'anti-join the seen pairs, then row_number() over a per-user window, keep rank <= k.':
        '',
    'k plus the most distinct items any user has seen: even if they all rank first, k unseen remain.':
        '',
    'When the two lines have the same slope the cluster never catches up; test for that before dividing.':
        '',
    "n* = (a2 - a1) / (b1 - b2 / workers) when the cluster's slope is smaller, else never.":
        '',
    "no active Spark session: run the chapter's session cell first.":
        '',
    "Not quite: some users' lists hold other items or ranks than they should; compare yours with a small case worked out by hand.":
        '',
    'Not quite: think of the worst case, where every item a user has seen ranks above all the others, for every user.':
        '',
    'the crossover size':
        '',
    'Not quite: set the two times equal and solve for n; return math.inf when the cluster never catches up.':
        '',
    'return a Spark DataFrame, got {}.':
        '',
    'the result lacks columns {}.':
        '',
    'Seen items are still there: remove them with a left_anti join on (user, item) before ranking.':
        '',
    'Rank 1 went to the lowest score; order the window by descending score.':
        '',
    'The ranks run over all users at once; partition the window by user.':
        '',
    'Items with equal scores got the same rank, as rank() gives them; number the rows with row_number(), so each user gets exactly k.':
        '',
    'Items with equal scores got the same rank, as dense_rank() gives them; number the rows with row_number(), so each user gets exactly k.':
        '',
    'Among equal scores the larger item id came first; the exercise breaks ties by the smaller item id (order the window by item too).':
        '',
    'Every unseen item is still there: keep only rank <= k.':
        '',
    'That is the most any user has seen; the k unseen items come on top of it.':
        '',
    "A pair listed twice takes one place in the list, not two: count each user's distinct items.":
        '',
    "With the average user's history, the users who have seen the most would get fewer than k; one depth serves every user.":
        '',
    'Rounded up, the average is still too small for the users who have seen the most.':
        '',
    "You counted the seen pairs of all users; only one user's seen items can sit in that user's list.":
        '',
    "You counted per item; a user's list loses one place per item that user has seen.":
        '',
    'That fetches k per user only: a user who has seen the top items ends up short.':
        '',
    "That ignores the workers: the cluster's cost per rating is shared among them.":
        '',
    "You multiplied by the workers; the cluster's cost per rating is divided among them.":
        '',
    "A negative size: when the cluster's line is steeper it never catches up (math.inf); when it starts cheaper and grows slower it is faster from the first rating.":
        '',
    "The cluster never catches up here: its time grows at least as fast as one machine's. Return math.inf.":
        '',
    'The cluster never catches up here, so the answer is not 0: return math.inf.':
        '',
    "The sign is flipped: the cluster's fixed cost is the larger one.":
        '',
    'Your function still raises NotImplementedError: replace that line with your code.':
        '',
    'look for a 0/0 or a missing value.':
        '',
    'Pass your function itself (not its result); got a {}.':
        '',
    'Your function returned None: it still ends in `...` or `pass`, or a `return` is missing.':
        '',
    '{} is not computed yet: replace the `...` with your code.':
        '',
    '{} should be a number, got the text {}.':
        '',
    '{} is NaN; {}':
        '',
    '{} should have shape {}, got {}.':
        '',
    'Your function raised {}: {}. Call it yourself on a small input to see which line fails.':
        '',
    '{} should be a single number, got {} values (a {}).':
        '',
    '{} should be a number, got {}.':
        '',
    '{} should be an array of numbers, got a {}.':
        '',
    '{}({}) was called wrongly ({}). Copy the call from the cell under the exercise.':
        '',
    'Your function raised {} ({}). {}':
        '',
    'Correct: {}':
        '',
}
