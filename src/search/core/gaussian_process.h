#pragma once
// A Gaussian-process regressor for Bayesian optimisation over encoded
// policies: Matérn-5/2 kernel, constant prior mean after standardising the
// targets, lengthscale and noise picked from a grid by the log marginal
// likelihood (Rasmussen & Williams, GPML, 2006, §5.4), Cholesky via Eigen.
#include <vector>

#include <Eigen/Dense>

namespace bitlab::search {

struct GpFit {
  double lengthscale = 0.0;
  double noise = 0.0;             // of the standardised targets
  double log_marginal_likelihood = 0.0;
};

class GaussianProcess {
 public:
  // Rows of `x` are the inputs; y the targets (at least one).
  void fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y);
  // Posterior mean and standard deviation in target units.
  void predict(const Eigen::VectorXd& x, double* mean, double* stddev) const;
  // The same for every row of `x` at once (one triangular solve with many right-hand sides).
  void predict(const Eigen::MatrixXd& x, Eigen::VectorXd* mean, Eigen::VectorXd* stddev) const;
  [[nodiscard]] const GpFit& fitted() const { return fit_; }

  // k(r) = (1 + √5 r/ℓ + 5r²/3ℓ²) exp(−√5 r/ℓ), unit signal variance.
  static double matern52(double distance, double lengthscale);

 private:
  Eigen::MatrixXd x_;
  Eigen::VectorXd alpha_;
  Eigen::LLT<Eigen::MatrixXd> llt_;
  double y_mean_ = 0.0, y_scale_ = 1.0;
  GpFit fit_;
};

// EI(x) = (μ − f* − ξ) Φ(z) + σ φ(z), z = (μ − f* − ξ)/σ, for maximisation.
double expected_improvement(double mean, double stddev, double best, double xi = 0.0);

}  // namespace bitlab::search
