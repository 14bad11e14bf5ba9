package io.salvo.modelserver.synthetic;

/**
 * The shape of a BERT-family transformer encoder: enough to build its ONNX graph and to count its parameters.
 *
 * @param layers             transformer blocks
 * @param hidden             hidden size (embedding width)
 * @param heads              attention heads; {@code hidden} must be divisible by it
 * @param intermediate       width of the feed-forward layer
 * @param vocabulary         rows of the word embedding table
 * @param maxPositions       rows of the position embedding table, the longest accepted sequence
 * @param tokenTypes         rows of the token-type (segment) embedding table; 0 means no {@code token_type_ids} input
 * @param pooler             whether a BERT pooler (dense + tanh over the first token) follows the encoder
 */
public record EncoderArchitecture(
        int layers,
        int hidden,
        int heads,
        int intermediate,
        int vocabulary,
        int maxPositions,
        int tokenTypes,
        boolean pooler) {

    /** distilbert-base-uncased: 6 layers, hidden 768, 12 heads, no token types, no pooler; 66,362,880 parameters. */
    public static final EncoderArchitecture DISTILBERT_BASE =
            new EncoderArchitecture(6, 768, 12, 3072, 30522, 512, 0, false);

    /** bert-base-uncased: 12 layers, hidden 768, 12 heads, 2 token types, pooler; 109,482,240 parameters. */
    public static final EncoderArchitecture BERT_BASE = new EncoderArchitecture(12, 768, 12, 3072, 30522, 512, 2, true);

    /** A small encoder of the same family (2 layers, hidden 64) for fast tests and smoke runs. */
    public static final EncoderArchitecture TINY = new EncoderArchitecture(2, 64, 4, 256, 30522, 512, 2, true);

    public EncoderArchitecture {
        if (layers <= 0 || hidden <= 0 || heads <= 0 || intermediate <= 0 || vocabulary <= 0 || maxPositions <= 0) {
            throw new IllegalArgumentException("all sizes must be positive: " + this);
        }
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("hidden " + hidden + " is not divisible by heads " + heads);
        }
        if (tokenTypes < 0) {
            throw new IllegalArgumentException("tokenTypes must be >= 0");
        }
    }

    public int headSize() {
        return hidden / heads;
    }

    /** Parameter count from the architecture alone, the way Hugging Face counts it (weights and biases, LayerNorm gains and biases). */
    public long parameterCount() {
        long h = hidden;
        long embeddings = (long) vocabulary * h + (long) maxPositions * h + (long) tokenTypes * h + 2 * h;
        long attention = 4 * (h * h + h);
        long feedForward = h * intermediate + intermediate + (long) intermediate * h + h;
        long layerNorms = 2 * 2 * h;
        long perLayer = attention + feedForward + layerNorms;
        long poolerParameters = pooler ? h * h + h : 0;
        return embeddings + layers * perLayer + poolerParameters;
    }
}
