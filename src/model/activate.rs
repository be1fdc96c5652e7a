//! The model's activations on slices, through the kernels.

use super::kinds::Activation;
use crate::kernels;

/// Applies `act` in place: dfdx's formulas, with a vectorizable `exp` for the sigmoid.
pub fn activate(act: Activation, v: &mut [f32]) {
    match act {
        Activation::Sigmoid => kernels::sigmoid(v),
        Activation::Relu => kernels::relu(v),
        Activation::Tanh => kernels::tanh(v),
    }
}

/// Multiplies `g` by the activation's derivative, written in terms of its output `a`.
pub fn times_derivative(act: Activation, a: &[f32], g: &mut [f32]) {
    match act {
        Activation::Sigmoid => kernels::sigmoid_backward(a, g),
        Activation::Relu => kernels::relu_backward(a, g),
        Activation::Tanh => kernels::tanh_backward(a, g),
    }
}
