"""Getting started with kerasnip: layer blocks in, a scikit-learn classifier out.

Fits the walk-through's two-hidden-layer MLP on handwritten digits, then looks
at the model, its test-set evaluation, its first predictions and its training
history (written to ``history.png``).

Run: ``python examples/getting_started.py`` (scikit-learn's 8x8 digits), or
``python examples/getting_started.py --data-dir ../shared/data/mnist`` for MNIST.
``python -m kerasnip demo`` runs the same walk-through with commentary.
"""

import argparse

import kerasnip  # before keras: picks JAX when Keras's configured backend is not installed

# ---- 1. Layer blocks: plain functions that add layers to a Keras model. The walk-through's
#      three live in kerasnip.demo (``python -m kerasnip demo`` prints their source):
#      input_block(model, input_shape) starts a keras.Sequential, dense_block(model,
#      units=128, rate=0.4) adds Dense + Dropout, output_block(model, num_classes) the softmax.
from kerasnip.demo import dense_block, input_block, output_block


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="folder with the MNIST IDX files (default: digits)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--out", default="history.png", help="where to write the history plot")
    args = parser.parse_args()

    # ---- 2. Data: images flattened to vectors, pixels scaled to [0, 1].
    if args.data_dir:
        (x_train, y_train), (x_test, y_test) = kerasnip.datasets.load_mnist(args.data_dir)
        max_pixel = kerasnip.datasets.MNIST_MAX_PIXEL
    else:
        (x_train, y_train), (x_test, y_test) = kerasnip.datasets.load_digits()
        max_pixel = kerasnip.datasets.DIGITS_MAX_PIXEL
    x_train = x_train.reshape(len(x_train), -1).astype("float32") / max_pixel
    x_test = x_test.reshape(len(x_test), -1).astype("float32") / max_pixel

    # ---- 3. The spec: a new estimator class whose parameters are the blocks' arguments.
    mnist_mlp = kerasnip.create_keras_sequential_spec(
        "mnist_mlp",
        {"input": input_block, "hidden_1": dense_block, "hidden_2": dense_block,
         "output": output_block},
        mode="classification",
    )

    # ---- 4. Fit: 256 units with 40% dropout, then 128 with 30%.
    mlp = mnist_mlp(
        hidden_1_units=256, hidden_1_rate=0.4,
        hidden_2_units=128, hidden_2_rate=0.3,
        compile_loss="categorical_crossentropy", compile_optimizer="rmsprop",
        compile_metrics=["accuracy"],
        fit_epochs=args.epochs, fit_batch_size=128, fit_validation_split=0.2,
        random_state=42, verbose=2,
    )
    mlp.fit(x_train, y_train)
    kerasnip.extract_keras_model(mlp).summary()

    # ---- 5. Evaluate, predict, plot.
    print(kerasnip.keras_evaluate(mlp, x_test, y_test))
    print(kerasnip.predict_table(mlp, x_test[:6]))
    print(kerasnip.predict_table(mlp, x_test[:6], type="prob").round(3))
    kerasnip.plot_history(mlp, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
