"""The checks' messages in Chinese, read when ``LLMREC_LANG=zh`` (:func:`.common.localized`).

Each key is a message of the checks in this package as its code writes it, an
f-string's fields written ``{}`` (and a literal brace doubled); each value is its
Chinese, with the same fields (``{}`` in order, or ``{0}``, ``{1}`` to reorder them).
A field that is itself a message (a case's name, a hint) is translated on its own.
``tests/test_hints.py`` checks that every message of the checks is here."""

HINTS = {
    'That frame holds the contract: ratings of exactly 1 and 5 are on the scale, a user may rate several items and an item may be rated by several users, and a missing value outside user, item and rating does not matter.':
        '这个数据表符合约定：恰好为 1 和 5 的评分都在评分范围内；一个用户可以给多个物品评分，一个物品也可以被多个用户评分；user、item 和 rating 之外的列有缺失值无关紧要。',
    'Your function accepted {}. {}':
        '你的函数接受了{}。{}',
    'When the frame holds the contract, return it unchanged: you reset or replaced its index.':
        '数据表符合约定时，应原样返回：你重置或替换了它的索引。',
    'the contract is checked, and a frame that holds it passes unchanged.':
        '列约定得到了检查，符合约定的数据表原样通过。',
    "Recall@k: top k by rank, over each user's relevant items, averaged over users.":
        'Recall@k：按 rank 取前 k 个物品，计算它们占每个用户相关物品的比例，再对用户求平均。',
    "each user's latest rating is held out, and nothing leaks into train.":
        '每个用户最近的一条评分被留作测试，训练集中没有任何泄漏。',
    'When the frame holds the contract, return it unchanged (the same rows), so calls can be chained.':
        '数据表符合约定时，应原样返回（行保持不变），这样调用才能串联起来。',
    'When the frame holds the contract, return it unchanged: you dropped, added or reordered columns.':
        '数据表符合约定时，应原样返回：你删除、添加了列，或调整了列的顺序。',
    'When the frame holds the contract, return it unchanged: you re-sorted its rows; keep them in their order.':
        '数据表符合约定时，应原样返回：你对行重新排了序；请保持行的原有顺序。',
    'a frame without a `rating` column':
        '缺少 `rating` 列的数据表',
    'Check that user, item and rating are all present.':
        '请检查 user、item 和 rating 三列是否都存在。',
    'a missing item id':
        '缺失 item id 的数据表',
    "Look for missing values in the contract's columns.":
        '请检查约定列中有没有缺失值。',
    'a rating of 0':
        '值为 0 的评分',
    'Ratings are stars from 1 to 5.':
        '评分是 1 到 5 星。',
    'a rating of 6':
        '值为 6 的评分',
    'a (user, item) pair that appears twice':
        '出现两次的 (user, item) 对',
    'Each user rates an item at most once: look for repeated (user, item) pairs.':
        '每个用户对同一物品至多评分一次：请查找重复的 (user, item) 对。',
    'a rating outside 1 to 5':
        '超出 1 到 5 范围的评分',
    "Not quite: recall is computed per user of truth, from that user's own k best ranks and relevant items, then averaged. Try your function on one user by hand.":
        '还不太对：召回率要对 truth 中的每个用户分别计算，只用该用户自己排名前 k 的物品和相关物品，再求平均。请手算一个用户来检验你的函数。',
    "test does not hold each user's most recent rating. Sort by timestamp within each user; do not rely on row order.":
        'test 中不是每个用户最近的评分。请在每个用户内部按时间戳排序，不要依赖行的顺序。',
    'On {}, your function raised {} ({}). Raise a ValueError that says what is wrong, so a caller gets one kind of error; check that a column exists before you use it.':
        '遇到{}时，你的函数抛出了 {}（{}）。请抛出一个说明问题所在的 ValueError，让调用者只需处理一种错误；使用某一列之前，先检查它是否存在。',
    'When the frame holds the contract, return it unchanged: you changed some values (or their types).':
        '数据表符合约定时，应原样返回：你改动了某些值（或它们的类型）。',
    'That frame holds the contract (integer ratings, the columns in another order, no timestamp): only user, item and rating are required.':
        '这个数据表符合约定（评分为整数、列的顺序不同、没有时间戳）：只有 user、item 和 rating 是必需的。',
    'Return a tuple (train, test) of two DataFrames.':
        '请返回由两个 DataFrame 组成的元组 (train, test)。',
    'train and test together have {} rows; the input has {}. Every rating must land in exactly one of them.':
        'train 和 test 加起来有 {} 行，而输入有 {} 行。每条评分都必须恰好落入其中之一。',
    'test should hold exactly one rating per user, for every user.':
        'test 应为每个用户恰好保存一条评分，一个用户也不能少。',
    'train should hold every rating that is not in test, and only those.':
        'train 应包含所有不在 test 中的评分，而且只包含这些。',
    'You matched items against the relevant items of all users together (an `isin` over the whole of truth): an item relevant to another user is not a hit. Match on (user, item) pairs.':
        '你把物品与所有用户的相关物品放在一起匹配（对整个 truth 做了 `isin`）：与其他用户相关的物品不算命中。请按 (user, item) 对匹配。',
    'You did not cut the lists at k: only the first k items count.':
        '你没有在 k 处截断列表：只有前 k 个物品才算数。',
    'You kept the first k-1 items: ranks start at 1, so rank k is in the top k.':
        '你只保留了前 k-1 个物品：排名从 1 开始，所以排名为 k 的物品也在前 k 个之内。',
    "You took each user's first rows, not the best ranks: the rows are not in rank order, so sort by rank first.":
        '你取的是每个用户最前面的几行，而不是排名最靠前的物品：这些行并没有按排名排列，请先按 rank 排序。',
    "You divided by k: that is precision; recall is a share of the user's relevant items.":
        '你除以了 k：那是精确率；召回率是用户的相关物品中被找到的比例。',
    "You capped the denominator at k; recall is a share of all of the user's relevant items.":
        '你把分母的上限设成了 k；召回率是用户全部相关物品中被找到的比例。',
    'You counted a user as 1 if any item is found: that is the hit rate.':
        '只要找到任意一个物品，你就把该用户记为 1：那是命中率。',
    'You averaged only over users who have a list: a user with relevant items but no list scores 0 and still counts.':
        '你只对有推荐列表的用户求平均：有相关物品但没有列表的用户得分为 0，同样要计入。',
    'You averaged over the users who have a list; average over the users in truth (a user with no relevant items has no recall).':
        '你对有推荐列表的用户求平均；应对 truth 中的用户求平均（没有相关物品的用户没有召回率）。',
    '{} should be a DataFrame with the columns of the input.':
        '{} 应是一个与输入列相同的 DataFrame。',
    "You kept each user's *earliest* rating; the latest has the largest timestamp.":
        '你保留的是每个用户*最早*的评分；最近的评分是时间戳最大的那条。',
    "You took each user's last *row*: the rows are not in time order, so sort by timestamp first.":
        '你取的是每个用户的最后一*行*：这些行并没有按时间排列，请先按时间戳排序。',
    'You sorted by item id, not by timestamp.':
        '你按 item id 排了序，而不是按时间戳。',
    'You sorted by rating, not by timestamp.':
        '你按评分排了序，而不是按时间戳。',
    '{} should be a DataFrame with the columns of the input; {}':
        '{} 应是一个与输入列相同的 DataFrame；{}',
    'you dropped {}.':
        '你删除了 {}。',
    'you added columns.':
        '你添加了列。',
    'padding positions are ignored and each text is averaged over its own tokens.':
        '忽略了填充位置，每段文本都在自己的 token 上求平均。',
    'a class that is never predicted has precision 0/0: count its F1 as 0.':
        '从未被预测的类别，其精确率为 0/0：把它的 F1 记为 0。',
    'A class that is never predicted has precision 0/0: count its F1 as 0.':
        '从未被预测的类别，其精确率为 0/0：把它的 F1 记为 0。',
    'macro-F1 is the unweighted mean of the per-class F1, 0 for a class never hit.':
        'macro-F1 是各类别 F1 的不加权平均，从未命中的类别记为 0。',
    'every card keeps its title words and genres, without the year.':
        '每张卡片都保留了标题中的词和类型，去掉了年份。',
    'no separating case found':
        '没有找到能区分的用例',
    'each pick trades relevance to the document against its closest keyword so far.':
        '每次选择都在与文档的相关性和与已选关键词的最大相似度之间权衡。',
    'the pooled batch':
        '池化后的批次',
    "Not quite: average each text's token vectors over its real tokens only.":
        '还不太对：每段文本的 token 向量只在其真实 token 上求平均。',
    'Not quite: compute F1 for each class that occurs in either array, then take their plain mean.':
        '还不太对：对在任一数组中出现的每个类别计算 F1，再取简单平均。',
    'cards_no_year is not computed yet: replace the `...` with your code.':
        'cards_no_year 还没有计算：请把 `...` 换成你的代码。',
    'Give a list with one card per movie, in the order of `items` ({}).':
        '请给出一个列表，每部电影一张卡片，顺序与 `items` 相同（共 {} 部）。',
    'Every card should be a string.':
        '每张卡片都应是字符串。',
    'You ranked by similarity to the document alone: the diversity term is missing (or never changes the order).':
        '你只按与文档的相似度排序：缺少多样性项（或它从未改变顺序）。',
    "Your penalty uses the candidates' similarity to the document; it should use their similarity to the keywords already picked.":
        '你的惩罚项用的是候选词与文档的相似度；应该用它们与已选关键词的相似度。',
    'You averaged the similarity to the picked keywords; MMR penalises the largest one.':
        '你对与已选关键词的相似度求了平均；MMR 惩罚的是其中最大的那个。',
    'You summed the similarities to the picked keywords; MMR penalises the largest one.':
        '你对与已选关键词的相似度求了和；MMR 惩罚的是其中最大的那个。',
    'You used dot products of vectors that are not unit length; use cosine similarities (normalise the vectors first).':
        '你对非单位长度的向量做了点积；请使用余弦相似度（先把向量归一化）。',
    'You swapped the weights: `diversity` weighs the penalty, 1 - diversity the relevance.':
        '你把权重弄反了：`diversity` 是惩罚项的权重，1 - diversity 是相关性的权重。',
    'You returned the picks sorted by similarity to the document; return them in the order MMR picked them.':
        '你把选出的词按与文档的相似度排序后返回；应按 MMR 选出它们的先后顺序返回。',
    'You returned positions in the shrinking list of candidates left; return row indices of `cand_vecs`.':
        '你返回的是在不断缩小的剩余候选列表中的位置；应返回 `cand_vecs` 的行索引。',
    'Not quite: pick the most relevant candidate first, then each time the one whose relevance, less its redundancy with the picks so far, is largest (each weighted as the formula says).':
        '还不太对：先选最相关的候选，之后每次选“相关性减去与已选词的冗余度”最大的那个（两者按公式加权）。',
    'Return a torch.Tensor, got {}.':
        '请返回 torch.Tensor，收到的是一个 {} 类型的值。',
    'Some cards still contain a year, e.g. {}; remove every (YYYY), wherever it is in the title.':
        '有些卡片仍含有年份，例如 {}；请删除每个 (YYYY)，无论它出现在标题的什么位置。',
    'The card {} lost the title words {}: remove only the year, and keep the cards in the order of `items`.':
        '卡片 {} 丢失了标题中的词 {}：只删除年份，并保持卡片与 `items` 的顺序一致。',
    'The card {} lost its genres {}; keep the genres.':
        '卡片 {} 丢失了它的类型 {}；请保留类型。',
    'Return a list of row indices, got {}.':
        '请返回一个行索引列表，收到的是一个 {} 类型的值。',
    'Return row indices of `cand_vecs` (whole numbers).':
        '请返回 `cand_vecs` 的行索引（整数）。',
    'Return min(k, number of candidates) indices: you returned {} for k={} and {} candidates.':
        '请返回 min(k, 候选数) 个索引：k={1}、候选数为 {2} 时，你返回了 {0} 个。',
    'You picked a candidate twice: remove each pick from the candidates left.':
        '你把同一个候选选了两次：每选出一个，就把它从剩余候选中移除。',
    'You averaged over padding positions too; padded tokens must not count.':
        '你把填充位置也算进了平均；填充的 token 不能计入。',
    "You divided by the padded length; divide by each text's number of real tokens (mask.sum).":
        '你除以了填充后的长度；应除以每段文本真实 token 的数量（mask.sum）。',
    'That is a masked *sum*: divide by the number of real tokens.':
        '这是掩码后的*求和*：还要除以真实 token 的数量。',
    'That is CLS pooling (the first token); the exercise asks for the masked mean.':
        '这是 CLS 池化（取第一个 token）；练习要求的是掩码平均。',
    'That is max pooling; the exercise asks for the masked mean.':
        '这是最大池化；练习要求的是掩码平均。',
    'You L2-normalised the mean; the exercise asks for the mean itself.':
        '你对平均结果做了 L2 归一化；练习要求的就是平均值本身。',
    'That is accuracy (= micro-F1 here); macro-F1 averages the per-class F1 scores.':
        '这是准确率（在这里等于 micro-F1）；macro-F1 是对各类别的 F1 求平均。',
    'That is the support-weighted F1; macro-F1 gives every class the same weight.':
        '这是按支持度加权的 F1；macro-F1 给每个类别相同的权重。',
    'You averaged over the classes of y_true only; a class that is only predicted counts too (its F1 is 0).':
        '你只对 y_true 中出现的类别求平均；只出现在预测中的类别同样要计入（它的 F1 为 0）。',
    'You took the F1 of the averaged precision and recall; average the per-class F1 scores instead.':
        '你对平均后的精确率和召回率求了 F1；应改为对各类别的 F1 求平均。',
    'That is the macro-averaged precision, not F1.':
        '这是宏平均精确率，不是 F1。',
    'That is the macro-averaged recall, not F1.':
        '这是宏平均召回率，不是 F1。',
    'first sub-word labelled, continuations and special tokens ignored.':
        '第一个子词得到标签，后续子词和特殊 token 被忽略。',
    'entity-level F1 pools whole spans over sentences: a half-found entity is a miss.':
        '实体级 F1 在所有句子上汇总完整的片段：只找到一半的实体算作未命中。',
    'spans read the way seqeval reads them.':
        '片段的读法与 seqeval 一致。',
    "Not quite: compare each token's word id with the previous token's.":
        '还不太对：把每个 token 的 word id 与前一个 token 的比较。',
    'Not quite: compare the spans of gold and pred sentence by sentence, pool the counts, then combine precision and recall.':
        '还不太对：逐句比较 gold 和 pred 的片段，汇总计数，再把精确率和召回率结合起来。',
    "For the tags {} your spans differ from seqeval's reading: B- starts a span, I- continues one of its type.":
        '对于标签 {}，你的片段与 seqeval 的解读不同：B- 开启一个片段，I- 延续同类型的片段。',
    'Return one label per sub-word token ({}), got {}.':
        '请为每个子词 token 返回一个标签（共 {} 个），你返回了 {} 个。',
    'Return a list of integer label ids, one per token.':
        '请返回一个整数标签 id 的列表，每个 token 一个。',
    "You gave every sub-word its word's label; label only the first sub-word and put {} on the continuations, so each word counts once.":
        '你给每个子词都赋了所在词的标签；只标注第一个子词，后续子词填 {}，这样每个词只计一次。',
    'You labelled the *last* sub-word of each word; label the first one.':
        '你标注的是每个词的*最后一个*子词；应标注第一个。',
    "You matched labels to tokens by position (padding the word labels); look each token's word up through its word id.":
        '你按位置把标签对应到 token（给词标签做了填充）；应通过 word id 查出每个 token 所属的词。',
    'Special tokens (word id None) must get {}, not a label.':
        '特殊 token（word id 为 None）必须填 {}，而不是一个标签。',
    'That is the precision alone (shared / predicted spans); F1 combines it with recall.':
        '这只是精确率（共同片段数 / 预测片段数）；F1 要把它与召回率结合起来。',
    'That is the recall alone (shared / gold spans); F1 combines it with precision.':
        '这只是召回率（共同片段数 / 标注片段数）；F1 要把它与精确率结合起来。',
    'That is a token-level score: it gives credit for the B-FIT of a two-word FIT span whose I-FIT was missed. Compare whole spans (type, start, end).':
        '这是 token 级别的分数：一个两词的 FIT 片段漏掉了 I-FIT，它的 B-FIT 仍然得了分。请比较完整的片段（类型、起点、终点）。',
    'You averaged the F1 of each sentence; pool the span counts over all sentences first (micro average).':
        '你对每个句子的 F1 求了平均；应先把所有句子的片段计数汇总起来（微平均）。',
    'You put the spans of all sentences into one set, so equal spans of different sentences collapse; count shared spans sentence by sentence.':
        '你把所有句子的片段放进了同一个集合，不同句子中相同的片段因此合并成了一个；请逐句统计共同片段。',
    'You matched spans on their boundaries only; the entity type must match too.':
        '你只按边界匹配片段；实体类型也必须一致。',
    'Return a list of (type, start, end) tuples.':
        '请返回由 (type, start, end) 元组组成的列表。',
    'The type of a span is the tag without its B-/I- prefix.':
        '片段的类型是去掉 B-/I- 前缀后的标签。',
    'Use end = one past the last word, so a one-word span has end = start + 1.':
        '取 end = 最后一个词的下一个位置，这样单个词的片段满足 end = start + 1。',
    'A B- tag always starts a new span, even right after a span of its type.':
        'B- 标签总是开启一个新片段，即使紧跟在同类型的片段之后。',
    "An I- tag with no span to continue starts a new span (seqeval's lenient reading).":
        '没有可延续片段的 I- 标签会开启一个新片段（seqeval 的宽松解读）。',
    'An I- tag of another type cannot continue a span: it starts a new one.':
        '其他类型的 I- 标签不能延续当前片段：它会开启一个新片段。',
    'Close the span that is still open when the tags end.':
        '标签结束时，请关闭仍未结束的片段。',
    'With no predicted spans precision is 0/0: the F1 is then 0.':
        '没有预测出任何实体片段时，精确率为 0/0：此时 F1 为 0。',
    "your step equals -lr/2 times the exact gradient of the rating's loss term.":
        '你的更新步长等于 -lr/2 乘以该评分损失项的精确梯度。',
    "the user's factors and bias solve the ridge regression exactly.":
        '该用户的因子和偏置恰好是岭回归的解。',
    'your B matches the closed form, zero diagonal included.':
        '你的 B 与闭式解一致，包括为零的对角线。',
    'Not quite: compare your four updates, one by one, with the update equations of the chapter.':
        '还不太对：把你的四个更新逐一与本章的更新公式对照。',
    "Not quite: compare your system (matrix, right-hand side, regulariser) with the chapter's equation term by term.":
        '还不太对：把你的方程组（矩阵、右端项、正则项）与本章的公式逐项对照。',
    "Not quite: compare your B with the exercise's formula on a 3 x 3 example, entry by entry.":
        '还不太对：在一个 3 x 3 的例子上，把你的 B 与练习中的公式逐个元素对照。',
    'Return a tuple (p, q, bu, bi) of the updated parameters.':
        '请返回由更新后的参数组成的元组 (p, q, bu, bi)。',
    'Return a tuple (p_u, b_u).':
        '请返回元组 (p_u, b_u)。',
    'B is users x users: the Gram matrix is X^T X (items x items).':
        'B 是 用户 x 用户 的矩阵：Gram 矩阵应是 X^T X（物品 x 物品）。',
    'B should be items x items {}, got {}.':
        'B 应是 物品 x 物品 的矩阵 {}，收到的是 {}。',
    'You updated q with the *new* p; both updates use the old values.':
        '你用*新的* p 更新了 q；两个更新都应使用旧值。',
    'Check the sign of the error: e = r - r_hat (the rating minus the prediction).':
        '请检查误差的符号：e = r - r_hat（评分减去预测值）。',
    'The factors are not regularised: shrink p and q by reg as well.':
        '因子没有正则化：p 和 q 也要按 reg 收缩。',
    'The biases use `reg`; they have their own regulariser, `bias_reg`.':
        '偏置项用了 `reg`；它们有自己的正则化系数 `bias_reg`。',
    'The biases were not updated; update bu and bi too.':
        '偏置项没有更新；bu 和 bi 也要更新。',
    'Your step is twice too large: the update uses lr, not 2 lr.':
        '你的步长大了一倍：更新用的是 lr，而不是 2 lr。',
    "The ridge on the factors is reg times n_u, the user's number of ratings.":
        '因子上的岭惩罚是 reg 乘以 n_u（该用户的评分数）。',
    "Subtract the items' biases from the ratings before solving.":
        '求解之前，先从评分中减去物品的偏置。',
    'Subtract the global mean mu from the ratings before solving.':
        '求解之前，先从评分中减去全局均值 mu。',
    'The bias has its own regulariser, bias_reg, not reg times n_u.':
        '偏置项有自己的正则化系数 bias_reg，而不是 reg 乘以 n_u。',
    'You fitted the bias first and the factors after; solve p_u and b_u jointly (one system with a column of ones).':
        '你先拟合了偏置，再拟合因子；应联合求解 p_u 和 b_u（一个带全 1 列的方程组）。',
    "B's diagonal must be zero: an item may not predict itself.":
        'B 的对角线必须为零：物品不能预测它自己。',
    'You divided each *row* by its diagonal entry; divide each column j by P[j, j].':
        '你把每一*行*除以了它的对角元素；应把每一列 j 除以 P[j, j]。',
    'The sign is flipped: B is minus P over its diagonal.':
        '符号反了：B 是 P 除以其对角线再取负。',
    'lam is missing: add lam to the diagonal of X^T X before inverting.':
        '缺少 lam：求逆之前，先把 lam 加到 X^T X 的对角线上。',
    'rows standardised, constant rows mapped to zeros.':
        '各行已标准化，常数行映射为零。',
    "your scores equal ContentModel's cosine between taste and item vectors.":
        '你的得分等于 ContentModel 中口味向量与物品向量的余弦相似度。',
    "both matrices on one per-user scale, and each item's content weight grows as its ratings shrink: a cold item is scored by text alone.":
        '两个矩阵都按用户标准化到同一尺度，物品的评分越少，其内容权重越大：冷启动物品只靠文本打分。',
    "Not quite: subtract each row's mean and divide by that row's standard deviation.":
        '还不太对：每一行减去该行的均值，再除以该行的标准差。',
    'Not quite: centre, normalise rows, average the rated rows, normalise, dot.':
        '还不太对：中心化，对行归一化，对评过分的行求平均，再归一化，最后做点积。',
    'the blended scores':
        '混合后的得分',
    "Not quite: check your scores for one user and one item by hand, against the exercise's formula.":
        '还不太对：挑一个用户和一个物品，按练习中的公式手算检查你的得分。',
    'Z has NaN or inf: a constant row has standard deviation 0; return zeros for it instead of dividing.':
        'Z 中有 NaN 或 inf：常数行的标准差为 0；对这样的行返回零，而不要做除法。',
    'Your scores have NaN or inf: a user whose CF scores are all equal has standard deviation 0; give that row zeros.':
        '你的得分中有 NaN 或 inf：协同过滤得分全部相等的用户，标准差为 0；把这一行设为零。',
    'You used the sample standard deviation (ddof=1); use the population one (ddof=0).':
        '你用的是样本标准差（ddof=1）；应使用总体标准差（ddof=0）。',
    'You standardised the columns (axis=0); standardise each row (axis=1).':
        '你对列做了标准化（axis=0）；应对每一行做标准化（axis=1）。',
    "You used the mean and std of the whole matrix; use each row's own.":
        '你用的是整个矩阵的均值和标准差；应使用每一行自己的。',
    'You did not subtract the row mean.':
        '你没有减去行均值。',
    "You did not divide by the row's standard deviation.":
        '你没有除以该行的标准差。',
    'You did not centre V: subtract the mean item vector first (embeddings share an offset that makes every cosine large).':
        '你没有对 V 做中心化：先减去物品向量的均值（嵌入有一个共同的偏移，会让所有余弦值都偏大）。',
    'You centred each row on its own mean; centre on the mean item vector (axis=0).':
        '你让每一行以自己的均值为中心；应以物品向量的均值为中心（axis=0）。',
    'You did not normalise the item rows; cosines need unit vectors.':
        '你没有对物品行做归一化；余弦需要单位向量。',
    'You did not normalise the taste vector, so the scores are not cosines.':
        '你没有对口味向量做归一化，所以得分不是余弦值。',
    'Your taste vector averages all items; average the rated rows only.':
        '你的口味向量是对所有物品求平均；应只对评过分的行求平均。',
    "You mixed the raw scores: z-score each user's row of both matrices first, so CF scores and cosines are on one scale.":
        '你混合的是原始得分：先对两个矩阵中每个用户的行做 z-score 标准化，让协同过滤得分和余弦值处于同一尺度。',
    'You mixed first and standardised after; standardise each matrix, then mix.':
        '你先混合再标准化；应先分别标准化每个矩阵，再混合。',
    "You standardised the columns (items); standardise each user's row.":
        '你对列（物品）做了标准化；应对每个用户的行做标准化。',
    'You used the sample standard deviation (ddof=1); use the population one.':
        '你用的是样本标准差（ddof=1）；应使用总体标准差。',
    "The weights are on the wrong sides: the gate's weight goes to the content scores, and a cold item should be scored by content alone.":
        '权重放反了：门控的权重应给内容得分，冷启动物品应只靠内容打分。',
    'The floor is missing: every item, however many ratings it has, keeps at least `weight` on content.':
        '缺少下限：每个物品无论有多少评分，内容上都至少保留 `weight` 的权重。',
    'The gate is upside down: the more ratings an item has, the less it needs text.':
        '门控方向反了：物品的评分越多，就越不需要文本。',
    "You used one weight for every item; the gate's weight depends on n_i.":
        '你对所有物品用了同一个权重；门控的权重取决于 n_i。',
    'Shapes do not broadcast: the gate has one weight per item (a column), shared by every user.':
        '形状无法广播：门控为每个物品设一个权重（一列），由所有用户共享。',
    'Shapes do not broadcast: keep the row axis (keepdims=True) so each row uses its own mean and std.':
        '形状无法广播：请保留行轴（keepdims=True），让每一行使用自己的均值和标准差。',
    'A block of tokens repeated three times or more at the end is a loop.':
        '末尾有一段 token 重复三次或更多次，就是循环。',
    'loops are detected at the end of the answer, and only there.':
        '循环只在回答的末尾被检测到，别处不会误报。',
    'the fit is good':
        '版型不错',
    'the fabric is soft and lovely':
        '面料柔软又好看',
    'not in the labelled set':
        '不在已标注集合中',
    'it is a small fit':
        '尺码偏小',
    'the zip feels cheap':
        '拉链感觉很廉价',
    'far too long':
        '实在太长了',
    'lovely colour':
        '颜色好看',
    'the size is right':
        '尺码正合适',
    'a rewrite of {}, {}':
        '{} 的改写，{}',
    "the labelled reviews plus their kept paraphrases, each with its review's label.":
        '已标注的评论加上保留下来的改写，每条都带有对应评论的标签。',
    'a paired comparison over reviews: with minus without, with its interval.':
        '逐条评论的配对比较：使用数据增强减去不使用，并附带区间。',
    'A pattern seen only twice is not a loop yet.':
        '只出现两次的模式还不算循环。',
    'A repeat that is not at the end is not a loop: only the end counts.':
        '不在末尾的重复不算循环：只看末尾。',
    'One token three times at the end is a loop (period 1).':
        '末尾同一个 token 出现三次就是循环（周期为 1）。',
    'A two-token pattern three times at the end is a loop.':
        '末尾一个两 token 的模式出现三次，就是循环。',
    'More than three repeats is still a loop.':
        '重复超过三次仍然是循环。',
    'A pattern seen only twice is not a loop yet: it takes three.':
        '只出现两次的模式还不算循环：需要三次。',
    'A repeat that is not at the end is not a loop: only the end of the answer counts.':
        '不在末尾的重复不算循环：只看回答的末尾。',
    'Three occurrences that are not back to back are not a loop.':
        '三次出现但彼此不相连，不算循环。',
    'An empty list has no loop (and must not crash).':
        '空列表没有循环（而且不能出错）。',
    'Two tokens cannot hold three repeats.':
        '两个 token 不可能重复三次。',
    'A pattern longer than max_period does not count.':
        '比 max_period 更长的模式不算数。',
    'A pattern of exactly max_period tokens counts (period 1 to max_period, both included).':
        '长度恰好为 max_period 个 token 的模式也算数（周期从 1 到 max_period，两端都包括）。',
    'Use the max_period passed in, not a fixed 12.':
        '请使用传入的 max_period，而不是固定的 12。',
    'Return a tuple (texts, labels): a list of texts and their labels.':
        '请返回元组 (texts, labels)：一个文本列表及其标签。',
    'texts has {} entries and labels {}: give each text, original or copy, its label.':
        'texts 有 {} 条，labels 有 {} 条：每条文本，无论是原文还是副本，都要有自己的标签。',
    'texts should be strings (the reviews and their paraphrases).':
        'texts 应是字符串（评论及其改写）。',
    "Your labels are strings (such as '0' and '1'); a classifier needs the numbers 0 and 1, as in the `recommended` column.":
        "你的标签是字符串（例如 '0' 和 '1'）；分类器需要的是数字 0 和 1，与 `recommended` 列一致。",
    'labels should be the numbers 0 and 1 of the `recommended` column.':
        'labels 应是 `recommended` 列中的数字 0 和 1。',
    "Not quite: some (text, label) pairs are missing, extra or mislabelled; print yours for a small frame and compare them with the exercise's rules.":
        '还不太对：有些 (text, label) 对缺失、多余或标签有误；在一个小数据表上打印你的结果，并与练习中的规则对照。',
    'Return what evaluation.compare gives (a Comparison): the difference comes with its interval.':
        '请返回 evaluation.compare 给出的结果（一个 Comparison）：差值要附带它的区间。',
    'the difference':
        '差值',
    'Not quite: score each review 1 if its prediction is right, else 0, for both models, and give the two aligned score arrays to evaluation.compare (without first).':
        '还不太对：对两个模型，预测正确的评论记 1 分，否则记 0 分，再把两个对齐的得分数组交给 evaluation.compare（不使用数据增强的放在前面）。',
    'Return True or False, got a {}.':
        '请返回 True 或 False，收到的是一个 {} 类型的值。',
    '{} (ids ending {}, max_period={})':
        '{}（ids 的结尾为 {}，max_period={}）',
    'lovely soft fabric':
        '面料柔软，很好看',
    'pilled after a wash':
        '洗一次就起球了',
    'great colour':
        '颜色很漂亮',
    'true to size':
        '尺码标准',
    'review {}: {}':
        '评论 {}：{}',
    'You returned one number; return the Comparison from evaluation.compare, so the difference has an interval.':
        '你只返回了一个数；请返回 evaluation.compare 给出的 Comparison，这样差值才有区间。',
    'You dropped the labelled reviews: the copies are added to them, not used instead of them.':
        '你丢掉了已标注的评论：副本是加在它们之上的，而不是取代它们。',
    'You kept the paraphrases in `copies`; the filter leaves them out.':
        '你保留了 `copies` 中的改写；过滤时应把它们排除。',
    'You kept only the paraphrases in `copies`; the filter leaves *those* out.':
        '你只保留了 `copies` 中的改写；过滤时应排除的恰恰是*这些*。',
    'Every copy got the label 1; a copy inherits the label of the review it rewrites.':
        '每个副本的标签都是 1；副本应继承它所改写的那条评论的标签。',
    'Every copy got the label 0; a copy inherits the label of the review it rewrites.':
        '每个副本的标签都是 0；副本应继承它所改写的那条评论的标签。',
    'You looked paraphrases up by row position; they are keyed by the review id (the `review` column).':
        '你按行位置查找改写；它们的键是评论 id（`review` 列）。',
    "You paired the paraphrases, in the dictionary's order, with labels in the frame's order: the two orders differ, so copies got other reviews' labels. Look each copy's label up through its review id.":
        '你把按字典顺序排列的改写，与按数据表顺序排列的标签配成了对：这两种顺序不同，副本因此拿到了其他评论的标签。请通过评论 id 查出每个副本的标签。',
    'The sign is reversed (or you compared errors, not correctness): the effect is with the augmentation minus without it.':
        '符号反了（或者你比较的是错误而不是正确与否）：效应是使用数据增强的结果减去不使用的结果。',
    'You compared the predictions themselves; compare whether each prediction is right (per-review correctness).':
        '你比较的是预测本身；应比较每个预测是否正确（逐条评论的正确性）。',
    'The difference is right but the interval is not: pass `seed` to compare.':
        '差值是对的，但区间不对：请把 `seed` 传给 compare。',
    'That is the macro-F1 difference; the exercise compares per-review correctness with evaluation.compare.':
        '这是 macro-F1 的差值；练习要求用 evaluation.compare 比较逐条评论的正确性。',
    'A review whose paraphrase was rejected has no entry in paraphrases: it adds no copy.':
        '改写被拒绝的评论在 paraphrases 中没有条目：它不会增加副本。',
    'the pairwise term in O(kn), equal to the sum over pairs.':
        '成对交互项在 O(kn) 内算出，且等于对所有对求和的结果。',
    "WARP's weight grows with the estimated rank, and is 0 at rank 1 or 0.":
        'WARP 的权重随估计排名增大，排名为 1 或 0 时为 0。',
    "each review's profile leaves out its own label.":
        '每条评论的画像都排除了它自己的标签。',
    'the pairwise terms':
        '成对交互项',
    'Not quite: compare your function with the slow sum over pairs j < l on a small V and X.':
        '还不太对：在一个小的 V 和 X 上，把你的函数与对 j < l 的所有对逐一求和的慢速版本对照。',
    'Not quite: check the estimated rank and the logarithm of each N on a small example by hand.':
        '还不太对：在一个小例子上手算每个 N 的估计排名及其对数，检查一下。',
    "Not quite: work out one review's share by hand (the other reviews of its item only) and compare.":
        '还不太对：手算一条评论的比例（只用其所属物品的其他评论），再对照一下。',
    'Some weights are -inf or NaN: when the estimated rank is 0 the log is undefined; a rank below 1 counts as 1.':
        '有些权重是 -inf 或 NaN：估计排名为 0 时对数没有定义；排名小于 1 时按 1 计。',
    'Some shares are NaN or inf: an item with one review has no other review; give it the share over all reviews.':
        '有些比例是 NaN 或 inf：只有一条评论的物品没有其他评论；给它使用全部评论上的比例。',
    'You forgot the 1/2: the square of the sum counts every pair twice.':
        '你漏掉了 1/2：和的平方把每一对都算了两次。',
    'You left the diagonal in: the square of the sum also holds each feature paired with itself, which is not a pair.':
        '你没有去掉对角项：和的平方中还包含每个特征与自身的组合，那不是一对。',
    'Your diagonal term has x_j to the first power: the square of the sum holds each feature with itself weighted by its value squared.':
        '你的对角项中 x_j 是一次方：和的平方中，每个特征与自身的组合以其取值的平方加权。',
    'You summed the vectors without weighting them by the feature values x_j.':
        '你对向量求和时没有用特征取值 x_j 加权。',
    'You did not round the estimated rank down to a whole number.':
        '你没有把估计排名向下取整为整数。',
    'Use n - 1, not n: the positive itself is not one of its negatives.':
        '请用 n - 1 而不是 n：正样本本身不是它的负样本。',
    'You returned the rank; WARP weights by its logarithm.':
        '你返回的是排名；WARP 用排名的对数加权。',
    "Your profile includes the review's own mention: that is the leak. Leave the review out of its own item's share.":
        '你的画像包含了这条评论自己的提及：这就是泄漏。计算其所属物品的比例时，请把这条评论排除在外。',
    'You took the review out of the mentions but not out of the number of reviews you divide by.':
        '你把这条评论从提及数中去掉了，却没有从作为除数的评论数中去掉。',
    'An item with no other review should get the overall share, not 0.':
        '没有其他评论的物品应使用总体比例，而不是 0。',
    'The fallback is the share over all reviews, not 0.5.':
        '回退值是全部评论上的比例，而不是 0.5。',
    "Shapes do not broadcast: weight each feature's vector by its value, giving rows x features x k.":
        '形状无法广播：用每个特征的取值为其向量加权，得到 行 x 特征 x k。',
    'log of a non-positive number: a positive whose estimated rank is 0 or 1 must not reach the log as it is.':
        '对非正数取了对数：估计排名为 0 或 1 的正样本不能直接进入对数。',
    'your NDCG agrees with metrics.ndcg_at_k, truncation and ideal list included.':
        '你的 NDCG 与 metrics.ndcg_at_k 一致，截断和理想列表都没问题。',
    'your novelty matches metrics.novelty.':
        '你的新颖性与 metrics.novelty 一致。',
    'large p for a null difference, small for a real one in either direction.':
        '没有差异时 p 值大，无论哪个方向有真实差异时 p 值都小。',
    'the share of pairs, both answers valid, that pick the same film in both orders.':
        '两个回答都有效、且在两种顺序下选了同一部电影的对所占的比例。',
    'Not quite: work through a list of three positions by hand (discounts, DCG, ideal list) and compare with your function.':
        '还不太对：手算一个三个位置的列表（折扣、DCG、理想列表），再与你的函数对照。',
    'Not quite: check p_i and its self-information for one recommended item by hand.':
        '还不太对：手算一个推荐物品的 p_i 及其自信息，检查一下。',
    'p = {} is not the share of random sign flips at least as extreme as the observed mean.':
        'p = {} 不是随机符号翻转中至少与观测均值一样极端的比例。',
    'Two calls with the same seed gave different p-values: draw the signs from np.random.default_rng(seed).':
        '同一个 seed 调用两次，得到的 p 值不同：请用 np.random.default_rng(seed) 抽取符号。',
    'swap consistency':
        '交换一致性',
    'did every pair get left out? Keep the pairs where both answers are valid.':
        '是不是每一对都被排除了？请保留两个回答都有效的对。',
    'Not quite: for three pairs, write down which film each order picked and count by hand.':
        '还不太对：取三对，写下每种顺序下选的是哪部电影，再手算一遍。',
    'p = 0: count the observed sample among the flips (add 1 to numerator and denominator).':
        'p = 0：要把观测到的样本也算作一次翻转（分子和分母各加 1）。',
    'A p-value lies in (0, 1]; got {}.':
        'p 值应在 (0, 1] 之间；收到的是 {}。',
    'p should be a count of flips over n + 1; did you use the `n` passed in?':
        'p 应是翻转次数除以 n + 1；你用的是传入的 `n` 吗？',
    'p = 1 for a clear difference: flip the sign of each difference independently, not the whole sample at once (or shuffle).':
        '差异明显时 p = 1：应独立地翻转每个差值的符号，而不是一次翻转整个样本（或打乱顺序）。',
    'That is a one-sided test (it ignores the sign of the effect); compare absolute means, so both directions count.':
        '这是单侧检验（忽略了效应的符号）；请比较均值的绝对值，让两个方向都计入。',
    'p is about half what it should be: count flips whose |mean| is at least the observed |mean| (both tails).':
        'p 大约只有应有值的一半：应统计 |均值| 不小于观测 |均值| 的翻转次数（双侧）。',
    'You scored the whole list; NDCG@k only looks at the first k positions (truncate).':
        '你对整个列表打了分；NDCG@k 只看前 k 个位置（请截断）。',
    'Your ideal list has n_relevant hits; it can hold at most k of them.':
        '你的理想列表有 n_relevant 个命中；它最多只能容纳 k 个。',
    'Your ideal list has k hits; a user with fewer relevant items cannot fill it.':
        '你的理想列表有 k 个命中；相关物品少于 k 个的用户填不满它。',
    "Your ideal list is built from the hits in the list; it should count all the user's relevant items (up to k).":
        '你的理想列表是由列表中的命中构成的；它应计入该用户的所有相关物品（最多 k 个）。',
    'The discount is off by one: rank 1 is divided by log2(2) = 1.':
        '折扣差了一位：排名 1 除以 log2(2) = 1。',
    'That is a 1/rank discount; NDCG discounts by a logarithm of the rank.':
        '这是 1/rank 折扣；NDCG 按排名的对数打折扣。',
    'That is the DCG alone; divide it by the DCG of the ideal list.':
        '这只是 DCG；还要除以理想列表的 DCG。',
    'You counted rows, not distinct users: a user who rated an item twice counts once.':
        '你数的是行数，而不是不同的用户数：对同一物品评分两次的用户只算一次。',
    'You divided by the number of rows; p_i is a share of *users*.':
        '你除以了行数；p_i 是*用户*中的比例。',
    'You divided by the number of items; p_i is a share of users.':
        '你除以了物品数；p_i 是用户中的比例。',
    'That is the natural logarithm; use log base 2 (bits).':
        '这是自然对数；请使用以 2 为底的对数（比特）。',
    'That is log base 10; use log base 2 (bits).':
        '这是以 10 为底的对数；请使用以 2 为底的对数（比特）。',
    'The sign is flipped: self-information is -log2 p, a positive number.':
        '符号反了：自信息是 -log2 p，是一个正数。',
    'You averaged over distinct recommended items; average over all recommended rows.':
        '你对不同的推荐物品求了平均；应对所有推荐行求平均。',
    'Count the observed sample among the flips: add 1 to the numerator *and* to the denominator.':
        '要把观测到的样本也算作一次翻转：分子*和*分母都要加 1。',
    'You counted pairs that pick the same *position* twice; once swapped, the same film sits at the other position.':
        '你统计的是两次都选同一*位置*的对；交换顺序后，同一部电影会出现在另一个位置上。',
    'Pairs with a rejected answer (NaN) are in your denominator: leave them out, they are neither consistent nor inconsistent.':
        '有回答被拒绝（NaN）的对进入了你的分母：请把它们排除，它们既不算一致，也不算不一致。',
    'Pairs with a rejected answer (NaN) count as consistent in your answer (NaN != x is True): leave them out.':
        '在你的答案中，有回答被拒绝（NaN）的对被算作一致（NaN != x 为 True）：请把它们排除。',
    'You left out the pairs rejected in the first order only; a pair needs a valid answer in both orders.':
        '你只排除了在第一种顺序下被拒绝的对；一对需要在两种顺序下都有有效回答。',
    'That is a count of pairs; return the share.':
        '这是对的个数；请返回比例。',
    'anti-join the seen pairs, then row_number() over a per-user window, keep rank <= k.':
        '用反连接去掉已看过的对，再在按用户划分的窗口上用 row_number() 编号，保留 rank <= k。',
    'k plus the most distinct items any user has seen: even if they all rank first, k unseen remain.':
        'k 加上任一用户看过的最多不同物品数：即使这些物品全都排在最前，也还剩 k 个未看过的。',
    'When the two lines have the same slope the cluster never catches up; test for that before dividing.':
        '两条线斜率相同时，集群永远追不上；做除法之前先检查这一点。',
    "n* = (a2 - a1) / (b1 - b2 / workers) when the cluster's slope is smaller, else never.":
        '集群的斜率较小时，n* = (a2 - a1) / (b1 - b2 / workers)，否则永远追不上。',
    "no active Spark session: run the chapter's session cell first.":
        '没有活动的 Spark 会话：请先运行本章创建会话的单元格。',
    "Not quite: some users' lists hold other items or ranks than they should; compare yours with a small case worked out by hand.":
        '还不太对：有些用户的列表中物品或排名与应有的不同；请手算一个小例子，与你的结果对照。',
    'Not quite: think of the worst case, where every item a user has seen ranks above all the others, for every user.':
        '还不太对：想想最坏的情况，即对每个用户而言，他看过的每个物品都排在其他所有物品之前。',
    'the crossover size':
        '交叉点的数据规模',
    'Not quite: set the two times equal and solve for n; return math.inf when the cluster never catches up.':
        '还不太对：令两种耗时相等，解出 n；集群永远追不上时返回 math.inf。',
    'return a Spark DataFrame, got {}.':
        '请返回一个 Spark DataFrame，收到的是一个 {} 类型的值。',
    'the result lacks columns {}.':
        '结果缺少列 {}。',
    'Seen items are still there: remove them with a left_anti join on (user, item) before ranking.':
        '已看过的物品仍然在：排序之前，先按 (user, item) 做 left_anti 连接把它们去掉。',
    'Rank 1 went to the lowest score; order the window by descending score.':
        '排名 1 给了得分最低的物品；窗口应按得分降序排列。',
    'The ranks run over all users at once; partition the window by user.':
        '排名是在所有用户上统一计算的；窗口应按用户分区。',
    'Items with equal scores got the same rank, as rank() gives them; number the rows with row_number(), so each user gets exactly k.':
        '得分相同的物品得到了相同的排名，这是 rank() 的结果；请用 row_number() 给行编号，让每个用户恰好得到 k 个。',
    'Items with equal scores got the same rank, as dense_rank() gives them; number the rows with row_number(), so each user gets exactly k.':
        '得分相同的物品得到了相同的排名，这是 dense_rank() 的结果；请用 row_number() 给行编号，让每个用户恰好得到 k 个。',
    'Among equal scores the larger item id came first; the exercise breaks ties by the smaller item id (order the window by item too).':
        '得分相同时，item id 较大的排在了前面；练习规定得分相同时 item id 较小的优先（窗口也要按 item 排序）。',
    'Every unseen item is still there: keep only rank <= k.':
        '所有未看过的物品都还在：只保留 rank <= k 的行。',
    'That is the most any user has seen; the k unseen items come on top of it.':
        '这是单个用户看过的最多物品数；还要在此之上加上 k 个未看过的物品。',
    "A pair listed twice takes one place in the list, not two: count each user's distinct items.":
        '列出两次的同一对在列表中只占一个位置，而不是两个：请统计每个用户看过的不同物品数。',
    "With the average user's history, the users who have seen the most would get fewer than k; one depth serves every user.":
        '如果按平均用户的历史来取，看过最多物品的用户得到的会少于 k 个；要用一个深度满足所有用户。',
    'Rounded up, the average is still too small for the users who have seen the most.':
        '即使向上取整，平均值对看过最多物品的用户来说仍然太小。',
    "You counted the seen pairs of all users; only one user's seen items can sit in that user's list.":
        '你统计的是所有用户看过的对；能出现在某个用户列表中的，只有该用户自己看过的物品。',
    "You counted per item; a user's list loses one place per item that user has seen.":
        '你是按物品统计的；用户每看过一个物品，其列表就少一个位置。',
    'That fetches k per user only: a user who has seen the top items ends up short.':
        '这样每个用户只取了 k 个：看过排名靠前物品的用户会不够数。',
    "That ignores the workers: the cluster's cost per rating is shared among them.":
        '这忽略了执行器：集群处理每条评分的成本由各执行器分摊。',
    "You multiplied by the workers; the cluster's cost per rating is divided among them.":
        '你乘以了执行器数；集群处理每条评分的成本应除以执行器数。',
    "A negative size: when the cluster's line is steeper it never catches up (math.inf); when it starts cheaper and grows slower it is faster from the first rating.":
        '规模为负：集群的线更陡时，它永远追不上（math.inf）；集群起点更低、增长更慢时，从第一条评分起它就更快。',
    "The cluster never catches up here: its time grows at least as fast as one machine's. Return math.inf.":
        '这里集群永远追不上：它的耗时增长至少与单机一样快。请返回 math.inf。',
    'The cluster never catches up here, so the answer is not 0: return math.inf.':
        '这里集群永远追不上，所以答案不是 0：请返回 math.inf。',
    "The sign is flipped: the cluster's fixed cost is the larger one.":
        '符号反了：集群的固定成本才是较大的那个。',
    'Your function still raises NotImplementedError: replace that line with your code.':
        '你的函数仍在抛出 NotImplementedError：请把那一行换成你的代码。',
    'look for a 0/0 or a missing value.':
        '请检查是否出现了 0/0 或缺失值。',
    'Pass your function itself (not its result); got a {}.':
        '请传入函数本身（而不是它的结果）；收到的是一个 {} 类型的值。',
    'Your function returned None: it still ends in `...` or `pass`, or a `return` is missing.':
        '你的函数返回了 None：它仍以 `...` 或 `pass` 结尾，或者缺少 `return`。',
    '{} is not computed yet: replace the `...` with your code.':
        '{} 还没有计算：请把 `...` 换成你的代码。',
    '{} should be a number, got the text {}.':
        '{} 应是一个数，收到的却是文本 {}。',
    '{} is NaN; {}':
        '{} 是 NaN；{}',
    '{} should have shape {}, got {}.':
        '{} 的形状应为 {}，收到的却是 {}。',
    'Your function raised {}: {}. Call it yourself on a small input to see which line fails.':
        '你的函数抛出了 {}：{}。请自己用一个小输入调用它，看看是哪一行出错。',
    '{} should be a single number, got {} values (a {}).':
        '{} 应是单个数，收到的却是 {} 个值（类型为 {}）。',
    '{} should be a number, got {}.':
        '{} 应是一个数，收到的却是 {}。',
    '{} should be an array of numbers, got a {}.':
        '{} 应是一个数值数组，收到的却是一个 {} 类型的值。',
    '{}({}) was called wrongly ({}). Copy the call from the cell under the exercise.':
        '{}({}) 的调用方式不对（{}）。请照抄练习下方单元格中的调用。',
    'Your function raised {} ({}). {}':
        '你的函数抛出了 {}（{}）。{}',
    'Correct: {}':
        '正确：{}',
}
