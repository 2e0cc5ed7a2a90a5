"""Reference numbers for NNAnalysisTests, computed with scikit-learn 1.9.1 / NumPy.

Run from the repository root with the peer venv (see ../shared/bench/peers/README.md):
    /work/peers/venv-peer/bin/python Tests/NNAnalysisTests/Fixtures/generate.py
Writes analysis.json next to this script. Inputs are either the digits (load_digits / 16, the
same rows as nnrun's embedded copy) or small arrays written into the JSON itself.
"""
import json, os

import numpy as np
import sklearn
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.cluster import KMeans
from sklearn.manifold import trustworthiness
from sklearn.manifold import _t_sne
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from scipy.spatial.distance import pdist, squareform

out = {"sklearn": sklearn.__version__}
X, y = load_digits(return_X_y=True)
X = X / 16.0

# PCA on the digits: ratios, variances and the first two components (signs: svd_flip, v-based).
pca = PCA(n_components=5, svd_solver="full").fit(X)
out["pca"] = {"explained_variance_ratio": pca.explained_variance_ratio_.tolist(),
              "explained_variance": pca.explained_variance_.tolist(),
              "components": pca.components_[:2].tolist(),
              "n_components_95": int(PCA(n_components=0.95, svd_solver="full").fit(X).n_components_),
              "whitened_first_row": PCA(n_components=3, whiten=True, svd_solver="full").fit_transform(X)[0].tolist()}

# k-means on the digits (the ARI nnrun must match within 0.03).
km = KMeans(n_clusters=10, n_init=10, random_state=0).fit(X)
out["kmeans"] = {"ari": float(adjusted_rand_score(y, km.labels_)), "inertia": float(km.inertia_),
                 "nmi": float(normalized_mutual_info_score(y, km.labels_))}

# ARI / NMI on fixed label vectors (with relabelled, merged and singleton cases).
rng = np.random.default_rng(6)
cases = []
for n, kt, kp in [(40, 3, 4), (100, 10, 7), (25, 5, 25), (30, 1, 3)]:
    t = rng.integers(0, kt, n).tolist()
    p = rng.integers(0, kp, n).tolist()
    cases.append({"truth": t, "predicted": p, "ari": adjusted_rand_score(t, p), "nmi": normalized_mutual_info_score(t, p)})
t = rng.integers(0, 4, 50)
p = (t * 7 + 3) % 11                      # a relabelling: both scores 1
q = np.where(t == 3, 2, t)                # two classes merged
for pred in (p, q):
    cases.append({"truth": t.tolist(), "predicted": pred.tolist(),
                  "ari": adjusted_rand_score(t, pred), "nmi": normalized_mutual_info_score(t, pred)})
out["cluster_scores"] = cases

# Trustworthiness of a small fixed random embedding (no ties in either space).
A = rng.normal(size=(60, 6))
E = A[:, :2] + 0.5 * rng.normal(size=(60, 2))
out["trustworthiness"] = {"input": A.tolist(), "embedding": E.tolist(),
                          "k5": trustworthiness(A, E, n_neighbors=5), "k10": trustworthiness(A, E, n_neighbors=10)}

# Exact t-SNE pieces on a tiny input: joint P, KL and gradient at a fixed embedding.
B = rng.normal(size=(12, 4))
D = squareform(pdist(B, "sqeuclidean"))
P = _t_sne._joint_probabilities(D, 4.0, 0)          # condensed, sums to 1/2 (pairs once)
Y = rng.normal(size=(12, 2))
kl, grad = _t_sne._kl_divergence(Y.ravel(), P, 1.0, 12, 2)
cond = _t_sne._utils._binary_search_perplexity(D.astype(np.float32), 4.0, 0)
out["tsne_exact"] = {"input": B.tolist(), "perplexity": 4.0, "joint_p": squareform(P).tolist(),
                     "conditional_p": cond.tolist(), "embedding": Y.tolist(), "kl": float(kl), "gradient": grad.tolist()}

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "analysis.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps({k: (v if k in ("kmeans",) else "...") for k, v in out.items()}))
print(out["pca"]["explained_variance_ratio"], out["pca"]["n_components_95"])
