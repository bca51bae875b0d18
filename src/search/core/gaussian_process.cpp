#include "search/core/gaussian_process.h"

#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

namespace bitlab::search {

double GaussianProcess::matern52(double distance, double lengthscale) {
  const double s = std::sqrt(5.0) * distance / lengthscale;
  return (1.0 + s + s * s / 3.0) * std::exp(-s);
}

void GaussianProcess::fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y) {
  const Eigen::Index n = x.rows();
  if (n == 0 || y.size() != n) throw std::invalid_argument("GaussianProcess::fit: need matching, non-empty data");
  x_ = x;
  y_mean_ = y.mean();
  const double variance = n > 1 ? (y.array() - y_mean_).square().sum() / static_cast<double>(n - 1) : 0.0;
  y_scale_ = variance > 1e-12 ? std::sqrt(variance) : 1.0;
  const Eigen::VectorXd z = (y.array() - y_mean_) / y_scale_;

  Eigen::MatrixXd distance(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) distance(i, j) = (x.row(i) - x.row(j)).norm();
  // Inputs live in [0, 1]^D: lengthscales from a tenth of the unit cube's
  // diagonal to twice it cover "every knob matters" to "almost linear".
  const double diagonal = std::sqrt(static_cast<double>(std::max<Eigen::Index>(x.cols(), 1)));
  fit_ = {};
  fit_.log_marginal_likelihood = -std::numeric_limits<double>::infinity();
  for (double l : {0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0}) {
    for (double noise : {1e-6, 1e-4, 1e-2, 1e-1}) {
      Eigen::MatrixXd k = distance.unaryExpr([&](double d) { return matern52(d, l * diagonal); });
      k.diagonal().array() += noise;
      Eigen::LLT<Eigen::MatrixXd> llt(k);
      if (llt.info() != Eigen::Success) continue;
      const Eigen::VectorXd alpha = llt.solve(z);
      const double log_det = 2.0 * llt.matrixL().toDenseMatrix().diagonal().array().log().sum();
      const double lml = -0.5 * z.dot(alpha) - 0.5 * log_det - 0.5 * static_cast<double>(n) * std::log(2.0 * std::numbers::pi);
      if (lml > fit_.log_marginal_likelihood) {
        fit_ = {l * diagonal, noise, lml};
        llt_ = llt;
        alpha_ = alpha;
      }
    }
  }
  if (!std::isfinite(fit_.log_marginal_likelihood)) throw std::runtime_error("GaussianProcess::fit: no kernel fits");
}

void GaussianProcess::predict(const Eigen::VectorXd& x, double* mean, double* stddev) const {
  const Eigen::Index n = x_.rows();
  Eigen::VectorXd k(n);
  for (Eigen::Index i = 0; i < n; ++i) k(i) = matern52((x_.row(i).transpose() - x).norm(), fit_.lengthscale);
  *mean = y_mean_ + y_scale_ * k.dot(alpha_);
  const Eigen::VectorXd v = llt_.matrixL().solve(k);
  *stddev = y_scale_ * std::sqrt(std::max(1.0 - v.squaredNorm(), 0.0));
}

void GaussianProcess::predict(const Eigen::MatrixXd& x, Eigen::VectorXd* mean, Eigen::VectorXd* stddev) const {
  const Eigen::Index n = x_.rows(), m = x.rows();
  Eigen::MatrixXd k(n, m);
  for (Eigen::Index j = 0; j < m; ++j)
    for (Eigen::Index i = 0; i < n; ++i) k(i, j) = matern52((x_.row(i) - x.row(j)).norm(), fit_.lengthscale);
  *mean = (k.transpose() * alpha_).array() * y_scale_ + y_mean_;
  const Eigen::MatrixXd v = llt_.matrixL().solve(k);
  *stddev = (1.0 - v.colwise().squaredNorm().transpose().array()).max(0.0).sqrt() * y_scale_;
}

double expected_improvement(double mean, double stddev, double best, double xi) {
  const double improvement = mean - best - xi;
  if (stddev <= 1e-12) return std::max(improvement, 0.0);
  const double z = improvement / stddev;
  const double cdf = 0.5 * std::erfc(-z / std::numbers::sqrt2);
  const double pdf = std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi);
  return improvement * cdf + stddev * pdf;
}

}  // namespace bitlab::search
