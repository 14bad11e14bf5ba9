package io.salvo.modelserver.inference;

import java.util.HashMap;
import java.util.Map;

/**
 * WordPiece's vocabulary matching: a word becomes the longest vocabulary entry it starts with, then the longest
 * continuation (an entry with the {@code ##} prefix) the rest starts with, and so on; a word that cannot be covered
 * this way, or is longer than {@code maxInputCharsPerWord} code points, becomes one unknown token.
 *
 * <p>Immutable, thread-safe.
 */
final class WordPieceVocabulary {

    /** Longest-match WordPiece works on code points; a word longer than this becomes one unknown token. */
    private final int maxInputCharsPerWord;

    private final Map<String, Integer> vocabulary;
    /** The same vocabulary for pieces after the first, keyed without the continuing prefix. */
    private final Map<String, Integer> continuations;

    private final int unknownId;

    WordPieceVocabulary(
            Map<String, Integer> vocabulary, String continuingPrefix, int maxInputCharsPerWord, int unknownId) {
        this.vocabulary = vocabulary;
        this.continuations = new HashMap<>(vocabulary.size() * 2);
        for (Map.Entry<String, Integer> e : vocabulary.entrySet()) {
            if (e.getKey().startsWith(continuingPrefix)) {
                continuations.put(e.getKey().substring(continuingPrefix.length()), e.getValue());
            }
        }
        this.maxInputCharsPerWord = maxInputCharsPerWord;
        this.unknownId = unknownId;
    }

    /** Greedy longest-match-first over code points; a word with an unmatchable rest is one unknown token. */
    void encodeWord(String text, int start, int end, LongList ids) {
        if (text.codePointCount(start, end) > maxInputCharsPerWord) {
            ids.add(unknownId);
            return;
        }
        int mark = ids.size();
        int from = start;
        while (from < end) {
            int to = end;
            Integer id = null;
            while (to > from) {
                String piece = text.substring(from, to);
                id = from == start ? vocabulary.get(piece) : continuations.get(piece);
                if (id != null) {
                    break;
                }
                to = text.offsetByCodePoints(to, -1);
            }
            if (id == null) {
                ids.truncate(mark);
                ids.add(unknownId);
                return;
            }
            ids.add(id);
            from = to;
        }
    }
}
