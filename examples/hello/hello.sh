#!/bin/sh
echo "hello from an image built, pushed and signed by kubectl-build's local stack"
