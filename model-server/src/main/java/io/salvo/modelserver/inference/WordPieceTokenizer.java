package io.salvo.modelserver.inference;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * BERT's tokenization as a Hugging Face {@code tokenizer.json} describes it — {@code BertNormalizer},
 * {@code BertPreTokenizer}, a {@code WordPiece} model and a {@code [CLS] $A [SEP]} template — in plain Java, giving
 * the ids the Hugging Face tokenizers library gives (the tests compare the two on a fixed and a random corpus).
 *
 * <p>Why not the library on the request path: see ADR 0009. In short, the request path runs with caches the model
 * has just evicted, and the native library's JNI crossings, allocations and Rust code cost ~150 µs per sentence
 * there, several times this class's cost; and loading it extracts a native library to disk on every cold start.
 *
 * <p>Character classes come from Java's Unicode tables (Unicode 13 in Java 17), the library's from older ones (about
 * Unicode 8): the two differ on the ~370 code points assigned or reclassified in between, marks, punctuation and
 * format characters of rare scripts, which either tokenizer maps to {@code [UNK]} or splits off.
 *
 * <p>Only the configuration BERT-family models ship is accepted; anything else is refused at load with the field
 * that differs, never tokenized differently ({@link TokenizerJson}). This class finds the special tokens in the raw
 * text and wraps the ids in the template; the text between special tokens goes through {@link BasicTokenizer}
 * (normalization, splitting into words) and {@link WordPieceVocabulary} (words into pieces). Immutable, thread-safe.
 */
public final class WordPieceTokenizer {

    private final BasicTokenizer basic;
    private final WordPieceVocabulary vocabulary;
    private final int classifierId;
    private final int separatorId;
    /** Special tokens matched in the raw text, longest first (as the library's added vocabulary does). */
    private final List<Map.Entry<String, Integer>> specialTokens;
    /** The characters special tokens start with (for BERT just '['): the scan looks closer only there. */
    private final String specialFirstChars;

    WordPieceTokenizer(
            BasicTokenizer basic,
            WordPieceVocabulary vocabulary,
            int classifierId,
            int separatorId,
            Map<String, Integer> specialTokens) {
        this.basic = basic;
        this.vocabulary = vocabulary;
        this.classifierId = classifierId;
        this.separatorId = separatorId;
        List<Map.Entry<String, Integer>> specials = new ArrayList<>(specialTokens.entrySet());
        specials.sort(Comparator.comparingInt(
                        (Map.Entry<String, Integer> e) -> e.getKey().length())
                .reversed());
        this.specialTokens = List.copyOf(specials);
        StringBuilder firsts = new StringBuilder();
        for (Map.Entry<String, Integer> e : specials) {
            if (firsts.indexOf(e.getKey().substring(0, 1)) < 0) {
                firsts.append(e.getKey().charAt(0));
            }
        }
        this.specialFirstChars = firsts.toString();
    }

    /** The id of {@code [SEP]}, which ends every sequence. */
    public int separatorId() {
        return separatorId;
    }

    /**
     * Reads a {@code tokenizer.json}.
     *
     * @throws IOException when the file cannot be read, or describes a tokenizer other than BERT's (the message
     *                     names the file and the field)
     */
    public static WordPieceTokenizer load(Path tokenizerJson) throws IOException {
        return TokenizerJson.load(tokenizerJson);
    }

    /** Token ids of one text, {@code [CLS]} first and {@code [SEP]} last; no truncation. */
    public long[] encode(String text) {
        LongList ids = new LongList(text.length() / 4 + 4);
        ids.add(classifierId);
        int from = 0;
        while (from < text.length()) {
            int special = -1;
            Map.Entry<String, Integer> match = null;
            for (int i = from; i < text.length() && match == null; i++) {
                if (specialFirstChars.indexOf(text.charAt(i)) < 0) {
                    continue;
                }
                for (Map.Entry<String, Integer> candidate : specialTokens) {
                    if (text.startsWith(candidate.getKey(), i)) {
                        // Longest first: the leftmost match is also the longest at its position.
                        special = i;
                        match = candidate;
                        break;
                    }
                }
            }
            int end = match == null ? text.length() : special;
            basic.tokenize(text.substring(from, end), vocabulary, ids);
            if (match == null) {
                break;
            }
            ids.add(match.getValue());
            from = special + match.getKey().length();
        }
        ids.add(separatorId);
        return ids.toArray();
    }
}
