package io.salvo.modelserver.inference;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
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
 * that differs, never tokenized differently. Immutable, thread-safe.
 */
public final class WordPieceTokenizer {

    /** 30k distinct field names in one file: canonicalizing and interning them would cost more than the rest. */
    private static final JsonFactory JSON = JsonFactory.builder()
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .build();

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** Longest-match WordPiece works on code points; a word longer than this becomes one unknown token. */
    private final int maxInputCharsPerWord;

    private final Map<String, Integer> vocabulary;
    /** The same vocabulary for pieces after the first, keyed without the continuing prefix. */
    private final Map<String, Integer> continuations;

    private final int unknownId;
    private final int classifierId;
    private final int separatorId;
    private final boolean chineseCharacters;
    private final boolean stripAccents;
    private final boolean lowercase;
    /** Special tokens matched in the raw text, longest first (as the library's added vocabulary does). */
    private final List<Map.Entry<String, Integer>> specialTokens;
    /** The characters special tokens start with (for BERT just '['): the scan looks closer only there. */
    private final String specialFirstChars;

    private WordPieceTokenizer(
            Map<String, Integer> vocabulary,
            String continuingPrefix,
            int maxInputCharsPerWord,
            int unknownId,
            int classifierId,
            int separatorId,
            boolean chineseCharacters,
            boolean stripAccents,
            boolean lowercase,
            Map<String, Integer> specialTokens) {
        this.vocabulary = vocabulary;
        this.continuations = new HashMap<>(vocabulary.size() * 2);
        for (Map.Entry<String, Integer> e : vocabulary.entrySet()) {
            if (e.getKey().startsWith(continuingPrefix)) {
                continuations.put(e.getKey().substring(continuingPrefix.length()), e.getValue());
            }
        }
        this.maxInputCharsPerWord = maxInputCharsPerWord;
        this.unknownId = unknownId;
        this.classifierId = classifierId;
        this.separatorId = separatorId;
        this.chineseCharacters = chineseCharacters;
        this.stripAccents = stripAccents;
        this.lowercase = lowercase;
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
        Map<String, Integer> vocabulary = new HashMap<>(1 << 16);
        ObjectNode root;
        try (JsonParser parser = JSON.createParser(tokenizerJson.toFile())) {
            root = readFile(parser, vocabulary);
        } catch (IOException e) {
            throw new IOException(tokenizerJson + ": " + e.getMessage(), e);
        }
        Fields fields = new Fields(tokenizerJson);
        JsonNode model = fields.require(root, "model");
        fields.expectType(model, "model", "WordPiece");
        if (vocabulary.isEmpty()) {
            throw new IOException(tokenizerJson + ": field 'model.vocab' is missing or empty");
        }
        String unknown = fields.text(model, "model.unk_token", "[UNK]");
        String prefix = fields.text(model, "model.continuing_subword_prefix", "##");
        int maxChars = model.path("max_input_chars_per_word").asInt(100);
        if (maxChars < 1) {
            throw new IOException(tokenizerJson + ": field 'model.max_input_chars_per_word' must be at least 1, got "
                    + model.path("max_input_chars_per_word"));
        }

        JsonNode normalizer = root.path("normalizer");
        fields.expectType(normalizer, "normalizer", "BertNormalizer");
        if (!normalizer.path("clean_text").asBoolean(true)) {
            // Without cleaning, Java's and Rust's whitespace classes differ on control characters.
            throw fields.unsupported("normalizer.clean_text", "false");
        }
        boolean lowercase = normalizer.path("lowercase").asBoolean(true);
        JsonNode strip = normalizer.path("strip_accents");
        boolean stripAccents = (strip.isNull() || strip.isMissingNode()) ? lowercase : strip.asBoolean();
        fields.expectType(root.path("pre_tokenizer"), "pre_tokenizer", "BertPreTokenizer");

        JsonNode post = root.path("post_processor");
        String classifier;
        String separator;
        String postType = post.path("type").asText("");
        if (postType.equals("BertProcessing")) {
            classifier = post.path("cls").path(0).asText("[CLS]");
            separator = post.path("sep").path(0).asText("[SEP]");
        } else if (postType.equals("TemplateProcessing")) {
            JsonNode single = post.path("single");
            if (single.size() != 3
                    || !single.path(1).has("Sequence")
                    || !single.path(0).has("SpecialToken")
                    || !single.path(2).has("SpecialToken")) {
                throw fields.unsupported("post_processor.single", "a template other than [CLS] $A [SEP]");
            }
            classifier = single.path(0).path("SpecialToken").path("id").asText();
            separator = single.path(2).path("SpecialToken").path("id").asText();
        } else {
            throw fields.unsupported("post_processor.type", postType.isEmpty() ? "none" : "'" + postType + "'");
        }

        // As the library does: an added token takes its vocabulary id, or the next id after the vocabulary (the
        // file's own "id" is not what it uses).
        Map<String, Integer> specials = new HashMap<>();
        int nextId =
                vocabulary.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        int index = 0;
        for (JsonNode added : root.path("added_tokens")) {
            String field = "added_tokens[" + index++ + "]";
            JsonNode content = added.path("content");
            if (!content.isTextual() || content.asText().isEmpty()) {
                throw new IOException(tokenizerJson + ": field '" + field + ".content' must be a non-empty string");
            }
            if (added.path("normalized").asBoolean(false)
                    || added.path("single_word").asBoolean(false)
                    || added.path("lstrip").asBoolean(false)
                    || added.path("rstrip").asBoolean(false)) {
                throw fields.unsupported(
                        field,
                        "a token matched after normalization or with word or strip " + "options ('" + content.asText()
                                + "')");
            }
            Integer id = vocabulary.get(content.asText());
            specials.putIfAbsent(content.asText(), id != null ? id : nextId++);
        }
        return new WordPieceTokenizer(
                vocabulary,
                prefix,
                maxChars,
                fields.id(vocabulary, specials, unknown, "model.unk_token"),
                fields.templateId(post, vocabulary, specials, classifier),
                fields.templateId(post, vocabulary, specials, separator),
                normalizer.path("handle_chinese_chars").asBoolean(true),
                stripAccents,
                lowercase,
                specials);
    }

    /**
     * Streams the file: the vocabulary (30k entries) straight into {@code vocabulary}, everything else into a tree.
     * Parsed this way, without field-name interning, it loads in ~90 ms in a fresh JVM instead of ~340 ms through
     * an {@code ObjectMapper} tree, and the tokenizer is on the cold-start path of small models.
     */
    private static ObjectNode readFile(JsonParser parser, Map<String, Integer> vocabulary) throws IOException {
        if (parser.nextToken() != JsonToken.START_OBJECT) {
            throw new IOException("not a JSON object");
        }
        ObjectNode root = NODES.objectNode();
        String name;
        while ((name = parser.nextFieldName()) != null) {
            JsonToken value = parser.nextToken();
            if (name.equals("model") && value == JsonToken.START_OBJECT) {
                ObjectNode model = NODES.objectNode();
                String field;
                while ((field = parser.nextFieldName()) != null) {
                    if (field.equals("vocab") && parser.nextToken() == JsonToken.START_OBJECT) {
                        String token;
                        while ((token = parser.nextFieldName()) != null) {
                            if (parser.nextToken() != JsonToken.VALUE_NUMBER_INT) {
                                throw new IOException("field 'model.vocab' maps '" + token + "' to " + parser.getText()
                                        + ", not to a token id (line "
                                        + parser.currentLocation().getLineNr() + ")");
                            }
                            vocabulary.put(token, parser.getIntValue());
                        }
                    } else {
                        if (!field.equals("vocab")) {
                            parser.nextToken();
                        }
                        model.set(field, readValue(parser));
                    }
                }
                root.set(name, model);
            } else {
                root.set(name, readValue(parser));
            }
        }
        return root;
    }

    private static JsonNode readValue(JsonParser parser) throws IOException {
        JsonToken token = parser.currentToken();
        if (token == null) {
            throw new IOException("unexpected end of input");
        }
        return switch (token) {
            case START_OBJECT -> {
                ObjectNode object = NODES.objectNode();
                String name;
                while ((name = parser.nextFieldName()) != null) {
                    parser.nextToken();
                    object.set(name, readValue(parser));
                }
                yield object;
            }
            case START_ARRAY -> {
                ArrayNode array = NODES.arrayNode();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    array.add(readValue(parser));
                }
                yield array;
            }
            case VALUE_STRING -> NODES.textNode(parser.getText());
            case VALUE_NUMBER_INT -> NODES.numberNode(parser.getLongValue());
            case VALUE_NUMBER_FLOAT -> NODES.numberNode(parser.getDoubleValue());
            case VALUE_TRUE -> NODES.booleanNode(true);
            case VALUE_FALSE -> NODES.booleanNode(false);
            case VALUE_NULL -> NODES.nullNode();
            default ->
                throw new IOException("unexpected " + token + " at line "
                        + parser.currentLocation().getLineNr());
        };
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
            encodeSegment(text.substring(from, end), ids);
            if (match == null) {
                break;
            }
            ids.add(match.getValue());
            from = special + match.getKey().length();
        }
        ids.add(separatorId);
        return ids.toArray();
    }

    private void encodeSegment(String raw, LongList ids) {
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
                    wordPiece(text, wordStart, i, ids);
                    wordStart = -1;
                }
            } else if (isPunctuation(c)) {
                if (wordStart >= 0) {
                    wordPiece(text, wordStart, i, ids);
                    wordStart = -1;
                }
                wordPiece(text, i, next, ids);
            } else if (wordStart < 0) {
                wordStart = i;
            }
            i = next;
        }
        if (wordStart >= 0) {
            wordPiece(text, wordStart, text.length(), ids);
        }
    }

    /** Greedy longest-match-first over code points; a word with an unmatchable rest is one unknown token. */
    private void wordPiece(String text, int start, int end, LongList ids) {
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

    /** Growable {@code long[]} without boxing. */
    private static final class LongList {
        private long[] values;
        private int size;

        LongList(int capacity) {
            values = new long[Math.max(4, capacity)];
        }

        void add(long value) {
            if (size == values.length) {
                values = java.util.Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        int size() {
            return size;
        }

        void truncate(int newSize) {
            size = newSize;
        }

        long[] toArray() {
            return java.util.Arrays.copyOf(values, size);
        }
    }

    /** Names the file and field in every complaint about the configuration. */
    private record Fields(Path file) {
        JsonNode require(JsonNode parent, String field) throws IOException {
            String last = field.substring(field.lastIndexOf('.') + 1);
            JsonNode node = parent.path(last);
            if (node.isMissingNode() || node.isNull()) {
                throw new IOException(file + ": field '" + field + "' is missing");
            }
            return node;
        }

        void expectType(JsonNode node, String field, String expected) throws IOException {
            String actual = node.path("type").asText("");
            if (!actual.equals(expected)) {
                throw unsupported(field + ".type", actual.isEmpty() ? "none" : "'" + actual + "'");
            }
        }

        String text(JsonNode parent, String field, String fallback) {
            JsonNode node = parent.path(field.substring(field.lastIndexOf('.') + 1));
            return node.isTextual() ? node.asText() : fallback;
        }

        int id(Map<String, Integer> vocabulary, Map<String, Integer> specials, String token, String field)
                throws IOException {
            Integer id = specials.containsKey(token) ? specials.get(token) : vocabulary.get(token);
            if (id == null) {
                throw new IOException(
                        file + ": field '" + field + "' names token '" + token + "', which is not in the vocabulary");
            }
            return id;
        }

        /** A template's special token: the post-processor's own ids for it when it lists them, as the library does. */
        int templateId(JsonNode post, Map<String, Integer> vocabulary, Map<String, Integer> specials, String token)
                throws IOException {
            JsonNode ids = post.path("special_tokens").path(token).path("ids");
            if (ids.isArray() && ids.size() == 1 && ids.get(0).canConvertToInt()) {
                return ids.get(0).asInt();
            }
            if (ids.isArray() && ids.size() != 1) {
                throw new IOException(
                        file + ": field 'post_processor.special_tokens." + token + ".ids' must hold one id");
            }
            return id(vocabulary, specials, token, "post_processor");
        }

        IOException unsupported(String field, String actual) {
            return new IOException(file + ": field '" + field + "' is " + actual
                    + "; the server's tokenizer supports BERT's WordPiece configuration only");
        }
    }
}
