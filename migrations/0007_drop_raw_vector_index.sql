-- The HNSW index on the raw E5 vectors (0001) serves no query: the
-- similar-idea search is exact over one district's grouping vectors
-- (pb.ideas.similar_in_district explains why an HNSW scan cannot serve a
-- per-district filter), and clustering reads vectors in bulk. Each worker
-- insert still paid for maintaining the graph, which holds a copy of every
-- vector (1.5 KB per idea, over 150 MB at 100k ideas). Measured with `siang bench similar`: recall
-- of an HNSW index on the grouping vectors is kept in the bench, should a
-- city-wide search ever be wanted.

-- migrate:up
DROP INDEX IF EXISTS idea_embeddings_hnsw;

-- migrate:down
CREATE INDEX idea_embeddings_hnsw ON idea_embeddings USING hnsw (embedding vector_cosine_ops);
