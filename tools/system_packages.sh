#!/bin/sh
# Install Debian's Fashion-MNIST package when no copy of the data is found yet
# and we may use apt-get (as root, or through sudo without a password).
# Never fatal: helpers.data explains what to do if the data is still missing.
set -u
if [ -n "${FASHION_MNIST_DIR:-}" ] || [ -f /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ] \
   || [ -f data/FashionMNIST/raw/t10k-labels-idx1-ubyte ]; then
    exit 0
fi
command -v apt-get >/dev/null 2>&1 || { echo "note: no apt-get here; see README 'Where the data comes from'."; exit 0; }
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "note: Fashion-MNIST not found and apt-get needs root; run 'sudo apt-get install dataset-fashion-mnist'"
    exit 0
fi
echo "Installing Debian's dataset-fashion-mnist ..."
$SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 || {
    $SUDO apt-get update -qq >/dev/null 2>&1 && $SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1
} || echo "note: apt-get could not install dataset-fashion-mnist"
exit 0
