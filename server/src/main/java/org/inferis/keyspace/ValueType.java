package org.inferis.keyspace;

/** The kinds of value a key can hold, named as Redis's TYPE names them (AI kinds as RedisAI's module types). */
public enum ValueType {
    STRING("string"),
    LIST("list"),
    TENSOR("AI_TENSOR"),
    MODEL("AI__MODEL"),
    SCRIPT("AI_SCRIPT");

    private final String typeName;

    ValueType(String typeName) {
        this.typeName = typeName;
    }

    /** The name TYPE replies with. */
    public String typeName() {
        return typeName;
    }
}
