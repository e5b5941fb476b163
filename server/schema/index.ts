import { builder } from '../builder';
import './scalars';
import './users';
import './courses';
import './grades';
import './attendance';
import './polls';
import './content';
import './notifications';
import './course-events';
import './live';

export const schema = builder.toSchema({ sortSchema: true });
