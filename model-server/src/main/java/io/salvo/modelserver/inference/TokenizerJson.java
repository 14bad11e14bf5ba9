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
import java.util.HashMap;
import java.util.Map;

/**
 * Reads a Hugging Face {@code tokenizer.json} into a {@link WordPieceTokenizer}, accepting only the configuration
 * BERT-family models ship ({@code BertNormalizer} with {@code clean_text}, {@code BertPreTokenizer}, {@code WordPiece},
 * a {@code [CLS] $A [SEP]} template, special tokens matched in the raw text); anything else is refused with the file
 * and the field that differs, never tokenized differently.
 *
 * <p>Special-token ids follow the library, not the file: an added token takes its vocabulary id, or the next id
 * after the vocabulary; a template's token takes the post-processor's own id when it lists one.
 */
final class TokenizerJson {

    /** 30k distinct field names in one file: canonicalizing and interning them would cost more than the rest. */
    private static final JsonFactory JSON = JsonFactory.builder()
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .build();

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private TokenizerJson() {}

    /** What {@link WordPieceTokenizer#load} does. */
    static WordPieceTokenizer load(Path tokenizerJson) throws IOException {
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
        int unknownId = fields.id(vocabulary, specials, unknown, "model.unk_token");
        int classifierId = fields.templateId(post, vocabulary, specials, classifier);
        int separatorId = fields.templateId(post, vocabulary, specials, separator);
        return new WordPieceTokenizer(
                new BasicTokenizer(normalizer.path("handle_chinese_chars").asBoolean(true), stripAccents, lowercase),
                new WordPieceVocabulary(vocabulary, prefix, maxChars, unknownId),
                classifierId,
                separatorId,
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
