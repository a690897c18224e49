/**
 * Scheduled tasks: messages injected into a sequence on an interval or a cron expression, timed by the
 * engine's clock.
 *
 * @module
 */
export { schedulerErrors } from './errors.js';
export {
  type ScheduledTask,
  type ScheduledTaskOptions,
  scheduledTask,
  scheduledTaskOptionsSchema,
  type TaskStats,
  type TaskTick,
} from './scheduled-task.js';
