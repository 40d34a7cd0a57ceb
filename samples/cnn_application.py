"""The sample class of cnn_application: the same students as in cnn_layers, second assignment.

Each answer is an edit of the reference answer (a list of (old, new) replacements), a whole answer
cell, or None for a cell left as released; functions not listed keep the reference answer (see
coursekit/samples.py). `coursekit build cnn_application` writes them to submitted/. The mistakes
are the ones this assignment invites; `tests/integration/test_application.py` states what each
one costs, function by function.
"""

# Everything right, written another way: NumPy one-liners, a stable log-sum-exp of its own, a loop
# for the confusion matrix, one forward pass for all predictions.
ELI = {
    "normalize_images": '''
def normalize_images(X_orig):
    """Pixels from 0..255 to 0..1, as float32."""
    ### START CODE HERE ###
    X = np.divide(X_orig, 255.0, dtype=np.float32)
    ### END CODE HERE ###
    return X
''',
    "one_hot": '''
def one_hot(y, n_classes):
    """One row per label, a 1 in the label's column."""
    y = np.asarray(y).reshape(-1)            # the labels as a vector of m integers
    ### START CODE HERE ###
    Y = np.eye(n_classes, dtype=np.float32)[y]
    ### END CODE HERE ###
    return Y
''',
    "initialize_parameters": '''
def initialize_parameters(architecture, seed=0):
    """Glorot uniform weights, zero biases."""
    rng = np.random.default_rng(seed)
    (n_H0, n_W0, n_C0) = architecture["input_shape"]
    ### START CODE HERE ###
    a = architecture
    side_H = n_H0 // a["pool1"] // a["pool2"]
    side_W = n_W0 // a["pool1"] // a["pool2"]
    layers = [("1", (a["f1"], a["f1"], n_C0, a["n_C1"])),
              ("2", (a["f2"], a["f2"], a["n_C1"], a["n_C2"])),
              ("3", (side_H * side_W * a["n_C2"], a["n_classes"]))]
    parameters = {}
    for k, shape in layers:
        receptive = shape[0] * shape[1] if len(shape) == 4 else 1
        fan_in, fan_out = receptive * shape[-2], receptive * shape[-1]
        bound = (6.0 / (fan_in + fan_out)) ** 0.5
        parameters["W" + k] = rng.uniform(-bound, bound, size=shape).astype(np.float32)
    parameters["b3"] = np.zeros((1, a["n_classes"]), dtype=np.float32)   # only the dense layer has biases
    ### END CODE HERE ###
    return parameters
''',
    "compute_cost": '''
def compute_cost(Z3, Y):
    """Mean cross-entropy of the softmax, computed here with log-sum-exp."""
    m = Z3.shape[0]
    ### START CODE HERE ###
    top = np.max(Z3, axis=1, keepdims=True)
    log_norm = top + np.log(np.sum(np.exp(Z3 - top), axis=1, keepdims=True))
    log_probs = Z3 - log_norm
    cost = -np.sum(Y * log_probs) / m
    dZ3 = (np.exp(log_probs) - Y) / m
    ### END CODE HERE ###
    return float(cost), dZ3
''',
    "random_mini_batches": '''
def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    """Shuffle once, then consecutive slices."""
    m = X.shape[0]
    permutation = np.random.default_rng(seed).permutation(m)
    ### START CODE HERE ###
    starts = range(0, m, mini_batch_size)
    mini_batches = [(X[permutation[s:s + mini_batch_size]], Y[permutation[s:s + mini_batch_size]])
                    for s in starts]
    ### END CODE HERE ###
    return mini_batches
''',
    "predict": '''
def predict(X, parameters, architecture, batch_size=128):
    """The class with the largest logit."""
    ### START CODE HERE ###
    logits = model_forward(X, parameters, architecture)[0]
    ### END CODE HERE ###
    return logits.argmax(axis=-1)
''',
    "confusion_matrix": '''
def confusion_matrix(y_true, y_pred, n_classes):
    """matrix[i, j]: examples of class i predicted as j."""
    ### START CODE HERE ###
    matrix = np.zeros((n_classes, n_classes), dtype=int)
    for t, p in zip(np.ravel(y_true), np.ravel(y_pred)):
        matrix[t, p] += 1
    ### END CODE HERE ###
    return matrix
''',
}

STUDENTS = {
    # The instructor's answers, as a student would have typed them: full marks.
    "reference": {},
    # The notebook as released, nothing written: zero, with every test cell scored.
    "untouched": "untouched",
    # Forgot to scale the pixels; one-hot labels as (n_classes, m), the course's old layout; left
    # the ReLUs out of the backward pass.
    "ada": {
        "normalize_images": [("X = X_orig.astype(np.float32) / np.float32(255)", "X = X_orig.astype(np.float32)")],
        "one_hot": [("Y = np.zeros((y.shape[0], n_classes), dtype=np.float32)",
                     "Y = np.zeros((n_classes, y.shape[0]), dtype=np.float32)"),
                    ("Y[np.arange(y.shape[0]), y] = 1.0", "Y[y, np.arange(y.shape[0])] = 1.0")],
        "model_backward": [("dZ2 = relu_backward(dA2, caches[\"relu2\"])", "dZ2 = dA2"),
                           ("dZ1 = relu_backward(dA1, caches[\"relu1\"])", "dZ1 = dA1")],
    },
    # Summed the losses instead of averaging them (the gradient is divided by m); shuffled the
    # labels with a permutation of their own; trained with a fixed learning rate of 0.009; applied
    # dropout also when predicting (with no seed: a random mask at every call).
    "ben": {
        "model_forward": [("    if dropout_seed is not None:\n        F, cache_dropout = dropout_forward(",
                           "    if True:\n        F, cache_dropout = dropout_forward(")],
        "compute_cost": [("cost = float(np.mean(losses))", "cost = float(np.sum(losses))")],
        "random_mini_batches": [("shuffled_Y = Y[permutation]", "shuffled_Y = Y[np.random.permutation(m)]")],
        "train_model": [("adam_update(parameters, grads, adam_state, learning_rate)",
                         "adam_update(parameters, grads, adam_state, 0.009)")],
    },
    # Glorot limits from fan_in alone; flattened channel by channel (PyTorch's NCHW order) in the
    # forward pass and unflattened the same way in the backward pass.
    "chloe": {
        "initialize_parameters": [("limit1 = np.sqrt(6.0 / (f1 * f1 * n_C0 + f1 * f1 * n_C1))",
                                   "limit1 = np.sqrt(6.0 / (f1 * f1 * n_C0))"),
                                  ("limit2 = np.sqrt(6.0 / (f2 * f2 * n_C1 + f2 * f2 * n_C2))",
                                   "limit2 = np.sqrt(6.0 / (f2 * f2 * n_C1))"),
                                  ("limit3 = np.sqrt(6.0 / (n_flat + n_classes))", "limit3 = np.sqrt(6.0 / n_flat)")],
        "model_forward": [("F = P2.reshape(P2.shape[0], -1)", "F = P2.transpose(0, 3, 1, 2).reshape(P2.shape[0], -1)")],
        "model_backward": [("dP2 = dF.reshape(caches[\"flatten\"])",
                            "(m, n_H, n_W, n_C) = caches[\"flatten\"]\n"
                            "    dP2 = dF.reshape(m, n_C, n_H, n_W).transpose(0, 2, 3, 1)")],
    },
    # Shuffled every epoch with the same seed and kept the last mini-batch's cost as the epoch cost;
    # took the argmax over the examples instead of the classes; did not get to the confusion matrix.
    "dev": {
        "train_model": [("random_mini_batches(X_train, Y_train, mini_batch_size, seed + 1 + epoch)",
                         "random_mini_batches(X_train, Y_train, mini_batch_size, seed)"),
                        ("epoch_cost += cost * mini_batch_X.shape[0] / m", "epoch_cost = cost")],
        "predict": [("predictions.append(np.argmax(Z3, axis=1))", "predictions.append(np.argmax(Z3, axis=0))")],
        "confusion_matrix": None,
    },
    # Everything right, written differently: full marks however it is written.
    "eli": ELI,
}
