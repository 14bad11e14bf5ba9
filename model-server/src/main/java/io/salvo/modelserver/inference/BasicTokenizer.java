package io.salvo.modelserver.inference;

import java.text.Normalizer;
import java.util.Locale;

/**
 * BERT's "basic tokenizer": {@code BertNormalizer} (clean control characters, space out CJK ideographs, strip
 * accents, lowercase) and {@code BertPreTokenizer} (split on whitespace and around every punctuation character),
 * handing each word to {@link WordPieceVocabulary} as soon as it is found, so that no list of words is built.
 *
 * <p>Character classes come from Java's Unicode tables (see {@link WordPieceTokenizer}). Immutable, thread-safe.
 */
final class BasicTokenizer {

    private final boolean chineseCharacters;
    private final boolean stripAccents;
    private final boolean lowercase;

    BasicTokenizer(boolean chineseCharacters, boolean stripAccents, boolean lowercase) {
        this.chineseCharacters = chineseCharacters;
        this.stripAccents = stripAccents;
        this.lowercase = lowercase;
    }

    /** Normalizes {@code raw} (text without special tokens), splits it into words and appends their pieces' ids. */
    void tokenize(String raw, WordPieceVocabulary words, LongList ids) {
        if (raw.isEmpty()) {
            return;
        }
        String text = normalize(raw);
        int wordStart = -1;
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            int next = i + Character.charCount(c);
            if (isWhitespace(c)) {
                if (wordStart >= 0) {
                    words.encodeWord(text, wordStart, i, ids);
                    wordStart = -1;
                }
            } else if (isPunctuation(c)) {
                if (wordStart >= 0) {
                    words.encodeWord(text, wordStart, i, ids);
                    wordStart = -1;
                }
                words.encodeWord(text, i, next, ids);
            } else if (wordStart < 0) {
                wordStart = i;
            }
            i = next;
        }
        if (wordStart >= 0) {
            words.encodeWord(text, wordStart, text.length(), ids);
        }
    }

    /** BertNormalizer with clean_text (the only setting supported): clean, space out CJK ideographs, strip accents,
     * lowercase — in that order. */
    private String normalize(String text) {
        boolean ascii = true;
        for (int i = 0; i < text.length() && ascii; i++) {
            ascii = text.charAt(i) < 0x80;
        }
        if (ascii) {
            return normalizeAscii(text);
        }
        StringBuilder out = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            if (c == 0 || c == 0xFFFD || isControl(c)) {
                continue;
            }
            if (isWhitespace(c)) {
                out.append(' ');
                continue;
            }
            if (chineseCharacters && isChineseCharacter(c)) {
                out.append(' ').appendCodePoint(c).append(' ');
            } else {
                out.appendCodePoint(c);
            }
        }
        String result = out.toString();
        if (stripAccents) {
            String decomposed = Normalizer.normalize(result, Normalizer.Form.NFD);
            StringBuilder kept = new StringBuilder(decomposed.length());
            for (int i = 0; i < decomposed.length(); ) {
                int c = decomposed.codePointAt(i);
                i += Character.charCount(c);
                if (Character.getType(c) != Character.NON_SPACING_MARK) {
                    kept.appendCodePoint(c);
                }
            }
            result = kept.toString();
        }
        if (lowercase) {
            StringBuilder lower = new StringBuilder(result.length());
            for (int i = 0; i < result.length(); ) {
                int c = result.codePointAt(i);
                int next = i + Character.charCount(c);
                // One code point at a time, like the library (no context: a final sigma stays σ).
                if (c < 0x80) {
                    lower.append((char) (c >= 'A' && c <= 'Z' ? c + 32 : c));
                } else {
                    lower.append(result.substring(i, next).toLowerCase(Locale.ROOT));
                }
                i = next;
            }
            result = lower.toString();
        }
        return result;
    }

    /** The common case without the Unicode machinery: same result as {@link #normalize} for ASCII text. */
    private String normalizeAscii(String text) {
        char[] chars = new char[text.length()];
        int length = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
                continue;
            }
            if (c == '\t' || c == '\n' || c == '\r') {
                c = ' ';
            }
            chars[length++] = lowercase && c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
        }
        return new String(chars, 0, length);
    }

    private static boolean isWhitespace(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    private static boolean isControl(int c) {
        if (c == '\t' || c == '\n' || c == '\r') {
            return false;
        }
        int type = Character.getType(c);
        return type == Character.CONTROL
                || type == Character.FORMAT
                || type == Character.PRIVATE_USE
                || type == Character.SURROGATE;
    }

    private static boolean isPunctuation(int c) {
        if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) {
            return true;
        }
        return switch (Character.getType(c)) {
            case Character.CONNECTOR_PUNCTUATION,
                    Character.DASH_PUNCTUATION,
                    Character.START_PUNCTUATION,
                    Character.END_PUNCTUATION,
                    Character.INITIAL_QUOTE_PUNCTUATION,
                    Character.FINAL_QUOTE_PUNCTUATION,
                    Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    /** The CJK Unified Ideographs blocks BERT spaces out (not Hangul, Hiragana or Katakana). */
    private static boolean isChineseCharacter(int c) {
        return (c >= 0x4E00 && c <= 0x9FFF)
                || (c >= 0x3400 && c <= 0x4DBF)
                || (c >= 0x20000 && c <= 0x2A6DF)
                || (c >= 0x2A700 && c <= 0x2B73F)
                || (c >= 0x2B740 && c <= 0x2B81F)
                || (c >= 0x2B920 && c <= 0x2CEAF)
                || (c >= 0xF900 && c <= 0xFAFF)
                || (c >= 0x2F800 && c <= 0x2FA1F);
    }
}
